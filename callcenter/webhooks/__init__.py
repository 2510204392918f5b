"""Alert webhooks: WeCom (企业微信) group robots, DingTalk robots and plain JSON receivers.

`settings` reads the `[webhooks]` config section, `payloads` and `ratelimit` are pure,
and `dispatcher` owns the per-target queues and worker tasks that do the sending.
"""

from callcenter.core.feature import Feature
from callcenter.webhooks.settings import WebhooksSection

FEATURE = Feature("webhooks", sections=(WebhooksSection,), wiring="callcenter.webhooks.wiring")
