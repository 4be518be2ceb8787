"""The asset graph: workspaces, tokens, assets, relationships, collections, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UUID(as_uuid=True), nullable=nullable)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _jsonb(name: str) -> sa.Column[object]:
    return sa.Column(name, JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE SEQUENCE events_id_seq")

    op.create_table(
        "workspaces",
        _uuid("id"),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("slug", sa.Text, nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("slug", name="uq_workspaces_slug"),
    )
    op.create_table(
        "api_tokens",
        _uuid("workspace_id"),
        _uuid("id"),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("prefix", sa.Text, nullable=False),
        _timestamp("created_at"),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_api_tokens"),
        sa.UniqueConstraint("workspace_id", "token_hash",
                            name="uq_api_tokens_workspace_id_token_hash"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name="fk_api_tokens_workspace_id_workspaces"),
        sa.CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="ck_api_tokens_role"),
    )
    op.create_index("ix_api_tokens_token_hash", "api_tokens", ["token_hash"])

    op.create_table(
        "assets",
        _uuid("workspace_id"),
        _uuid("id"),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("generation_prompt", sa.Text, nullable=False, server_default=""),
        sa.Column("url", sa.Text),
        sa.Column("blob_sha256", sa.Text),
        sa.Column("mime_type", sa.Text),
        sa.Column("size", sa.BigInteger),
        sa.Column("duration", sa.Numeric),
        _jsonb("metadata"),
        sa.Column("tags", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
        sa.Column("source", sa.Text, nullable=False, server_default="upload"),
        sa.Column("generation_cost", sa.Numeric(12, 4), nullable=False, server_default="0"),
        _jsonb("generation_metadata"),
        sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.Text),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_assets"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name="fk_assets_workspace_id_workspaces"),
        sa.CheckConstraint("source IN ('upload', 'generation', 'import', 'derivative')",
                           name="ck_assets_source"),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 255", name="ck_assets_name_length"),
        sa.CheckConstraint("version >= 1", name="ck_assets_version_positive"),
    )
    op.create_index("ix_assets_workspace_id_created_at_id", "assets",
                    ["workspace_id", "created_at", "id"])
    op.create_index("ix_assets_workspace_id_type", "assets", ["workspace_id", "type"])
    op.create_index("ix_assets_metadata", "assets", ["metadata"], postgresql_using="gin",
                    postgresql_ops={"metadata": "jsonb_path_ops"})
    op.create_index("ix_assets_tags", "assets", ["tags"], postgresql_using="gin")
    op.create_index("ix_assets_name_trgm", "assets", ["name"], postgresql_using="gin",
                    postgresql_ops={"name": "gin_trgm_ops"})
    op.create_index("ix_assets_fulltext", "assets",
                    [sa.text("to_tsvector('english', name || ' ' || description)")],
                    postgresql_using="gin")

    op.create_table(
        "asset_relationships",
        _uuid("workspace_id"),
        _uuid("id"),
        _uuid("parent_asset_id"),
        _uuid("child_asset_id"),
        sa.Column("relationship_type", sa.Text, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        _jsonb("metadata"),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_asset_relationships"),
        sa.UniqueConstraint(
            "workspace_id", "parent_asset_id", "child_asset_id", "relationship_type",
            name="uq_asset_relationships_edge",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "parent_asset_id"], ["assets.workspace_id", "assets.id"],
            ondelete="CASCADE", name="fk_asset_relationships_workspace_id_parent_asset_id_assets",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "child_asset_id"], ["assets.workspace_id", "assets.id"],
            ondelete="CASCADE", name="fk_asset_relationships_workspace_id_child_asset_id_assets",
        ),
        sa.CheckConstraint(
            "relationship_type IN ('used_in', 'derived_from', 'variant_of', 'part_of', "
            "'reference_for', 'generated_from')",
            name="ck_asset_relationships_relationship_type",
        ),
        sa.CheckConstraint("parent_asset_id <> child_asset_id",
                           name="ck_asset_relationships_no_self_link"),
    )
    op.create_index(
        "ix_asset_relationships_parent",
        "asset_relationships", ["workspace_id", "parent_asset_id", "relationship_type", "sequence"],
    )
    op.create_index(
        "ix_asset_relationships_child",
        "asset_relationships", ["workspace_id", "child_asset_id", "relationship_type"],
    )

    op.create_table(
        "asset_collections",
        _uuid("workspace_id"),
        _uuid("id"),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        _jsonb("metadata"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_asset_collections"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name="fk_asset_collections_workspace_id_workspaces"),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 255",
                           name="ck_asset_collections_name_length"),
    )
    op.create_index("ix_asset_collections_workspace_id_type_created_at", "asset_collections",
                    ["workspace_id", "type", "created_at"])

    op.create_table(
        "asset_collection_members",
        _uuid("workspace_id"),
        _uuid("id"),
        _uuid("collection_id"),
        _uuid("asset_id"),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        _jsonb("metadata"),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_asset_collection_members"),
        sa.UniqueConstraint("workspace_id", "collection_id", "asset_id",
                            name="uq_asset_collection_members_workspace_id_collection_id_asset_id"),
        sa.ForeignKeyConstraint(
            ["workspace_id", "collection_id"],
            ["asset_collections.workspace_id", "asset_collections.id"], ondelete="CASCADE",
            name="fk_asset_collection_members_collection",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "asset_id"], ["assets.workspace_id", "assets.id"], ondelete="CASCADE",
            name="fk_asset_collection_members_workspace_id_asset_id_assets",
        ),
    )
    op.create_index("ix_asset_collection_members_workspace_id_collection_id_sequence",
                    "asset_collection_members", ["workspace_id", "collection_id", "sequence"])
    op.create_index("ix_asset_collection_members_workspace_id_asset_id",
                    "asset_collection_members", ["workspace_id", "asset_id"])

    op.create_table(
        "events",
        _uuid("workspace_id"),
        sa.Column("id", sa.BigInteger, nullable=False,
                  server_default=sa.text("nextval('events_id_seq')")),
        sa.Column("topic", sa.Text, nullable=False),
        _uuid("subject_id", nullable=True),
        sa.Column("actor", sa.Text),
        _jsonb("payload"),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_events"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE",
                                name="fk_events_workspace_id_workspaces"),
    )
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY events.id")
    op.create_index("ix_events_workspace_id_subject_id_id", "events",
                    ["workspace_id", "subject_id", "id"])
    op.create_index("ix_events_workspace_id_topic_id", "events", ["workspace_id", "topic", "id"])


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    for table in ("events", "asset_collection_members", "asset_collections",
                  "asset_relationships", "assets", "api_tokens", "workspaces"):
        op.drop_table(table)
