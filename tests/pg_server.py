"""A PostgreSQL server of a test's own (its own data directory and port, through
scripts/postgres-test), for tests that stop the database: the shared test server is
never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from callcenter.testbed.asterisk import free_port

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "postgres-test"


class OwnPostgres:
    def __init__(self, name: str) -> None:
        self.port = free_port()
        self.data = Path(f"/tmp/cc-pg-{name}-{os.getpid()}-{self.port}")
        self._env = {**os.environ, "CALLCENTER_PG_DIR": str(self.data),
                     "CALLCENTER_PG_PORT": str(self.port)}

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        subprocess.run([str(SCRIPT), "start"], env=self._env, check=True, capture_output=True,
                       timeout=120)

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop"], env=self._env, check=True, capture_output=True,
                       timeout=120)

    def create_database(self, name: str) -> str:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)
