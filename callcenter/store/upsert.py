"""INSERT ... ON CONFLICT DO NOTHING / DO UPDATE for both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(connection: Connection, table: Any) -> Any:
    dialect = connection.dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)
