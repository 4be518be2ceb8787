"""Alembic migrations, one revision per change, and the programmatic runner.

Revisions are static: they spell out their DDL rather than reading `domain.tables`, so an old
revision keeps meaning what it meant when it ran.
"""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    return config


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate; alembic's async env runs its own event loop, so it gets a thread of its own."""
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), revision)


async def downgrade(database_url: str, revision: str) -> None:
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), revision)
