"""Budgets: a spending limit per workspace or collection, and the cost a queued or running
job holds against it (`jobs.reserved_cost`, its estimate until it finishes).

`budgets` is a workspace table like the others: row-level security as in 0004.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "assetgraph_app"
CURRENT = "(SELECT nullif(current_setting('app.workspace_id', true), '')::uuid)"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.add_column("jobs", sa.Column("reserved_cost", sa.Numeric(12, 4), nullable=False,
                                    server_default="0"))
    op.create_table(
        "budgets",
        sa.Column("workspace_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("collection_id", UUID(as_uuid=True)),
        sa.Column("limit_amount", sa.Numeric(14, 4), nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_budgets"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name="fk_budgets_workspace_id_workspaces"),
        sa.ForeignKeyConstraint(["workspace_id", "collection_id"],
                                ["asset_collections.workspace_id", "asset_collections.id"],
                                ondelete="CASCADE", name="fk_budgets_collection"),
        sa.CheckConstraint("period IN ('month', 'total')", name="ck_budgets_period"),
        sa.CheckConstraint("limit_amount >= 0", name="ck_budgets_limit_non_negative"),
    )
    # One budget per scope: the workspace's (no collection) and each collection's.
    op.execute("CREATE UNIQUE INDEX uq_budgets_scope ON budgets (workspace_id, collection_id) "
               "NULLS NOT DISTINCT")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON budgets TO {APP_ROLE}")
    op.execute("ALTER TABLE budgets ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE budgets FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY workspace_rows ON budgets TO {APP_ROLE} "
               f"USING (workspace_id = {CURRENT}) WITH CHECK (workspace_id = {CURRENT})")
    op.execute("CREATE POLICY all_rows ON budgets TO current_user USING (true) "
               "WITH CHECK (true)")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_table("budgets")
    op.drop_column("jobs", "reserved_cost")
