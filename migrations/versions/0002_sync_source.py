"""At most one sync-source edge per asset.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_index(
        "uq_asset_relationships_sync_source",
        "asset_relationships",
        ["workspace_id", "child_asset_id"],
        unique=True,
        postgresql_where=sa.text("metadata ? 'source_version'"),
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_index("uq_asset_relationships_sync_source", table_name="asset_relationships")
