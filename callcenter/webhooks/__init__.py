"""Alert webhooks: WeCom (企业微信) group robots, DingTalk robots and plain JSON receivers.

`settings` reads the `[webhooks]` config section, `payloads` and `ratelimit` are pure,
and `dispatcher` owns the per-target queues and worker tasks that do the sending.
"""
