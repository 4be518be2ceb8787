"""Generation jobs and content-addressed blobs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=None if nullable else sa.func.now())


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table(
        "blobs",
        sa.Column("workspace_id", UUID(as_uuid=True), nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mime_type", sa.Text, nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("workspace_id", "sha256", name="pk_blobs"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name="fk_blobs_workspace_id_workspaces"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="ck_blobs_sha256_hex"),
    )
    op.create_foreign_key("fk_assets_blob", "assets", "blobs", ["workspace_id", "blob_sha256"],
                          ["workspace_id", "sha256"])
    op.create_table(
        "jobs",
        sa.Column("workspace_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("asset_id", UUID(as_uuid=True)),
        sa.Column("result_asset_id", UUID(as_uuid=True)),
        sa.Column("idempotency_key", sa.Text),
        sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
        _now("run_after"),
        sa.Column("locked_by", sa.Text),
        _now("lease_expires_at", nullable=True),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("progress", sa.Numeric(5, 4), nullable=False, server_default="0"),
        sa.Column("cost", sa.Numeric(12, 4), nullable=False, server_default="0"),
        sa.Column("error_code", sa.Text),
        sa.Column("error_message", sa.Text),
        sa.Column("error_class", sa.Text),
        _now("created_at"),
        _now("started_at", nullable=True),
        _now("finished_at", nullable=True),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_jobs"),
        sa.UniqueConstraint("workspace_id", "idempotency_key",
                            name="uq_jobs_workspace_id_idempotency_key"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name="fk_jobs_workspace_id_workspaces"),
        sa.ForeignKeyConstraint(["workspace_id", "asset_id"], ["assets.workspace_id", "assets.id"],
                                ondelete="SET NULL (asset_id)", name="fk_jobs_asset"),
        sa.ForeignKeyConstraint(["workspace_id", "result_asset_id"],
                                ["assets.workspace_id", "assets.id"],
                                ondelete="SET NULL (result_asset_id)", name="fk_jobs_result_asset"),
        sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
                           name="ck_jobs_status"),
        sa.CheckConstraint("max_attempts BETWEEN 1 AND 20", name="ck_jobs_max_attempts"),
    )
    op.create_index("ix_jobs_queue", "jobs", ["priority", "run_after"],
                    postgresql_where=sa.text("status = 'queued'"))
    op.create_index("ix_jobs_lease", "jobs", ["lease_expires_at"],
                    postgresql_where=sa.text("status = 'running'"))
    op.create_index("ix_jobs_workspace_id_asset_id", "jobs", ["workspace_id", "asset_id"])
    op.create_index("ix_jobs_workspace_id_status_created_at", "jobs",
                    ["workspace_id", "status", "created_at"])


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_table("jobs")
    op.drop_constraint("fk_assets_blob", "assets", type_="foreignkey")
    op.drop_table("blobs")
