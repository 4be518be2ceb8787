"""Alembic environment (async, asyncpg).

Migrations of concurrent starters (several `assetgraph serve` on one database) serialise on a
session advisory lock.
"""

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from domain.tables import metadata

MIGRATION_LOCK = 0x61737365747367  # "assetsg"


def run_in(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
    try:
        connection.commit()
        context.configure(
            connection=connection, target_metadata=metadata, transaction_per_migration=True
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()


async def run_async() -> None:
    engine = create_async_engine(context.config.attributes["database_url"], poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_in)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
asyncio.run(run_async())
