"""Parameters many routes share, constrained where FastAPI reads them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# A row id: the database holds signed 64-bit ids, so anything outside 1..2**63-1 is a
# 422 here rather than an overflow (and a 500) in the driver.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id (1 to 2^63-1)")]
