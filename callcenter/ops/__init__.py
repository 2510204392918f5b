"""Operations: `/healthz` and `/readyz` for load balancers, Prometheus metrics at
`/metrics` (the core's registry), and the live collectors of the core's own parts."""

from callcenter.core.feature import Feature
from callcenter.ops.settings import OpsSettings

FEATURE = Feature("ops", sections=(OpsSettings,), wiring="callcenter.ops.wiring")
