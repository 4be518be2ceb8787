"""Branches: a project collection may be a branch (an alternate cut) of another, and a project
names its active branch.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.add_column("asset_collections", sa.Column("branch_of", UUID(as_uuid=True)))
    op.add_column("asset_collections", sa.Column("active_branch_id", UUID(as_uuid=True)))
    op.create_foreign_key("fk_asset_collections_branch_of", "asset_collections",
                          "asset_collections", ["workspace_id", "branch_of"],
                          ["workspace_id", "id"], ondelete="SET NULL (branch_of)")
    op.create_foreign_key("fk_asset_collections_active_branch", "asset_collections",
                          "asset_collections", ["workspace_id", "active_branch_id"],
                          ["workspace_id", "id"], ondelete="SET NULL (active_branch_id)")
    op.create_index("ix_asset_collections_branch_of", "asset_collections",
                    ["workspace_id", "branch_of"],
                    postgresql_where=sa.text("branch_of IS NOT NULL"))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_index("ix_asset_collections_branch_of", table_name="asset_collections")
    op.drop_constraint("fk_asset_collections_active_branch", "asset_collections")
    op.drop_constraint("fk_asset_collections_branch_of", "asset_collections")
    op.drop_column("asset_collections", "active_branch_id")
    op.drop_column("asset_collections", "branch_of")
