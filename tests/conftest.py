from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from callcenter import logs
from callcenter.store import db

# Every test's structlog.capture_logs sees every logger (see logs.CACHE_LOGGERS).
logs.CACHE_LOGGERS = False

PG_URL = os.environ.get("CALLCENTER_TEST_PG_URL")
# The README's test command (and CI) require every part: nothing may skip.
REQUIRE_ALL = os.environ.get("CI") == "true" or os.environ.get("CALLCENTER_REQUIRE_ALL") == "1"

_BACKENDS = ["sqlite", "postgresql"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # In CI PostgreSQL must be there: scripts/test starts it.  A missing one is a failure.
    if REQUIRE_ALL and not PG_URL:
        raise pytest.UsageError("all parts are required but CALLCENTER_TEST_PG_URL is not set: "
                                "scripts/postgres-test did not run")


@pytest.fixture(params=_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """A migrated, empty database: SQLite file, and PostgreSQL when available."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/test.db"
        db.upgrade(url)
        yield url
        return
    if not PG_URL:
        pytest.skip("CALLCENTER_TEST_PG_URL not set (run scripts/postgres-test for it)")
    name = "cc_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
