"""The migrations build exactly the schema the models describe (on both databases),
and the newest one can be rolled back and forward again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from callcenter.store import db
from callcenter.store.models import Base


def _drift(url: str) -> list[object]:
    engine = db.engine_for(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs: list[object] = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diffs


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    assert _drift(db_url) == []


def test_newest_migration_downgrades_and_upgrades_again(db_url: str) -> None:
    config = db._alembic_config(db_url)
    command.downgrade(config, "-1")
    assert db.current_revision(db.engine_for(db_url)) == "0016"
    command.upgrade(config, "head")
    assert _drift(db_url) == []
