"""Migrations: upgrade -> downgrade -> upgrade on a fresh database, and no drift from the tables."""

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import migrations
from domain.tables import metadata


@pytest.fixture
async def scratch_url(engine: AsyncEngine) -> AsyncIterator[str]:
    name = f"migrations_{uuid4().hex[:12]}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield engine.url.set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _names(url: str, catalog_query: str) -> list[str]:
    scratch = create_async_engine(url)
    try:
        async with scratch.connect() as connection:
            return [row[0] for row in await connection.execute(text(catalog_query))]
    finally:
        await scratch.dispose()


TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
ASSET_INDEXES = "SELECT indexname FROM pg_indexes WHERE tablename = 'assets' ORDER BY 1"


async def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    await migrations.upgrade(scratch_url)
    assert await _names(scratch_url, TABLES) == [
        "alembic_version", "api_tokens", "asset_collection_members", "asset_collections",
        "asset_relationships", "assets", "blobs", "budgets", "events", "jobs", "workspaces"]
    await migrations.downgrade(scratch_url, "base")
    assert await _names(scratch_url, TABLES) == ["alembic_version"]
    await migrations.upgrade(scratch_url)
    assert len(await _names(scratch_url, TABLES)) == 11
    assert "ix_assets_fulltext" in await _names(scratch_url, ASSET_INDEXES)


def _comparable(obj: object, name: str | None, kind: str, reflected: bool, other: object
                ) -> bool:
    # alembic cannot reflect expression indexes; the test above proves this one exists.
    return name != "ix_assets_fulltext"


async def test_the_migrated_schema_matches_the_table_definitions(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"include_object": _comparable}), metadata
            )
        )
    assert diff == []
