"""The tables of the asset graph (SQLAlchemy Core), mirrored by the alembic revisions.

Citus-ready by construction: `workspace_id` leads every primary, unique and foreign key, so no
edge or membership can cross workspaces and every table distributes by `workspace_id`.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False),
    _created_at(),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("slug"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("token_hash", Text, nullable=False),
    Column("prefix", Text, nullable=False),
    _created_at(),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("workspace_id", "id"),
    UniqueConstraint("workspace_id", "token_hash"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="role"),
    # Authentication looks a token up by its hash before it knows the workspace.
    Index(None, "token_hash"),
)

assets = Table(
    "assets",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("type", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("generation_prompt", Text, nullable=False, server_default=""),
    Column("url", Text),
    Column("blob_sha256", Text),
    Column("mime_type", Text),
    Column("size", BigInteger),
    Column("duration", Numeric),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("source", Text, nullable=False, server_default="upload"),
    Column("generation_cost", Numeric(12, 4), nullable=False, server_default="0"),
    Column("generation_metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("locked", Boolean, nullable=False, server_default=text("false")),
    Column("version", Integer, nullable=False, server_default="1"),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("deleted_at", DateTime(timezone=True)),
    Column("created_by", Text),
    # A scene instance: the scene it is used in and the project asset it is a variant of.
    Column("scene_id", UUID(as_uuid=True)),
    Column("instance_of", UUID(as_uuid=True)),
    PrimaryKeyConstraint("workspace_id", "id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["workspace_id", "scene_id"], ["assets.workspace_id", "assets.id"],
                         ondelete="SET NULL (scene_id)", name="fk_assets_scene"),
    ForeignKeyConstraint(["workspace_id", "instance_of"], ["assets.workspace_id", "assets.id"],
                         ondelete="SET NULL (instance_of)", name="fk_assets_instance_of"),
    # A blob cannot go while an asset (a clone, a promoted or generated asset) still uses it.
    ForeignKeyConstraint(["workspace_id", "blob_sha256"], ["blobs.workspace_id", "blobs.sha256"],
                         name="fk_assets_blob"),
    CheckConstraint(
        "source IN ('upload', 'generation', 'import', 'derivative')", name="source"
    ),
    CheckConstraint("char_length(name) BETWEEN 1 AND 255", name="name_length"),
    CheckConstraint("version >= 1", name="version_positive"),
    Index(None, "workspace_id", "created_at", "id"),
    Index(None, "workspace_id", "type"),
    Index("ix_assets_metadata", "metadata", postgresql_using="gin",
          postgresql_ops={"metadata": "jsonb_path_ops"}),
    Index("ix_assets_tags", "tags", postgresql_using="gin"),
    # One live instance per (scene, project asset).
    Index("uq_assets_scene_instance", "workspace_id", "scene_id", "instance_of", unique=True,
          postgresql_where=text("scene_id IS NOT NULL AND deleted_at IS NULL")),
    Index("ix_assets_instance_of", "workspace_id", "instance_of",
          postgresql_where=text("instance_of IS NOT NULL")),
    Index("ix_assets_name_trgm", "name", postgresql_using="gin",
          postgresql_ops={"name": "gin_trgm_ops"}),
    Index(
        "ix_assets_fulltext",
        text("to_tsvector('english', name || ' ' || description)"),
        postgresql_using="gin",
    ),
)

asset_relationships = Table(
    "asset_relationships",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("parent_asset_id", UUID(as_uuid=True), nullable=False),
    Column("child_asset_id", UUID(as_uuid=True), nullable=False),
    Column("relationship_type", Text, nullable=False),
    Column("sequence", Integer, nullable=False, server_default="0"),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _created_at(),
    PrimaryKeyConstraint("workspace_id", "id"),
    # Explicit names where the convention would pass PostgreSQL's 63-character limit.
    UniqueConstraint("workspace_id", "parent_asset_id", "child_asset_id", "relationship_type",
                     name="uq_asset_relationships_edge"),
    ForeignKeyConstraint(
        ["workspace_id", "parent_asset_id"], ["assets.workspace_id", "assets.id"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(
        ["workspace_id", "child_asset_id"], ["assets.workspace_id", "assets.id"],
        ondelete="CASCADE",
    ),
    CheckConstraint(
        "relationship_type IN ('used_in', 'derived_from', 'variant_of', 'part_of', "
        "'reference_for', 'generated_from')",
        name="relationship_type",
    ),
    CheckConstraint("parent_asset_id <> child_asset_id", name="no_self_link"),
    Index("ix_asset_relationships_parent",
          "workspace_id", "parent_asset_id", "relationship_type", "sequence"),
    Index("ix_asset_relationships_child", "workspace_id", "child_asset_id", "relationship_type"),
    # At most one sync source per asset (DESIGN §4).
    Index("uq_asset_relationships_sync_source", "workspace_id", "child_asset_id", unique=True,
          postgresql_where=text("metadata ? 'source_version'")),
)

asset_collections = Table(
    "asset_collections",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # A project's style (setStyle) and whether generation needs one (STYLE_REQUIRED).
    Column("style_id", UUID(as_uuid=True)),
    Column("style_required", Boolean, nullable=False, server_default=text("false")),
    # A project that is a branch (alternate cut) of another; a project's active branch.
    Column("branch_of", UUID(as_uuid=True)),
    Column("active_branch_id", UUID(as_uuid=True)),
    PrimaryKeyConstraint("workspace_id", "id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["workspace_id", "style_id"], ["assets.workspace_id", "assets.id"],
                         ondelete="SET NULL (style_id)", name="fk_asset_collections_style"),
    ForeignKeyConstraint(["workspace_id", "branch_of"],
                         ["asset_collections.workspace_id", "asset_collections.id"],
                         ondelete="SET NULL (branch_of)", name="fk_asset_collections_branch_of"),
    ForeignKeyConstraint(["workspace_id", "active_branch_id"],
                         ["asset_collections.workspace_id", "asset_collections.id"],
                         ondelete="SET NULL (active_branch_id)",
                         name="fk_asset_collections_active_branch"),
    CheckConstraint("char_length(name) BETWEEN 1 AND 255", name="name_length"),
    Index(None, "workspace_id", "type", "created_at"),
    Index("ix_asset_collections_branch_of", "workspace_id", "branch_of",
          postgresql_where=text("branch_of IS NOT NULL")),
)

asset_collection_members = Table(
    "asset_collection_members",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("collection_id", UUID(as_uuid=True), nullable=False),
    Column("asset_id", UUID(as_uuid=True), nullable=False),
    Column("sequence", Integer, nullable=False, server_default="0"),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _created_at(),
    PrimaryKeyConstraint("workspace_id", "id"),
    UniqueConstraint("workspace_id", "collection_id", "asset_id"),
    ForeignKeyConstraint(
        ["workspace_id", "collection_id"],
        ["asset_collections.workspace_id", "asset_collections.id"],
        ondelete="CASCADE",
        name="fk_asset_collection_members_collection",
    ),
    ForeignKeyConstraint(
        ["workspace_id", "asset_id"], ["assets.workspace_id", "assets.id"], ondelete="CASCADE"
    ),
    Index(None, "workspace_id", "collection_id", "sequence"),
    Index(None, "workspace_id", "asset_id"),
)

events = Table(
    "events",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    # One global sequence: event ids order the log across the process fleet (cursors, replay).
    Column("id", BigInteger, nullable=False, server_default=text("nextval('events_id_seq')")),
    Column("topic", Text, nullable=False),
    Column("subject_id", UUID(as_uuid=True)),
    Column("actor", Text),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _created_at(),
    PrimaryKeyConstraint("workspace_id", "id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    Index(None, "workspace_id", "subject_id", "id"),
    Index(None, "workspace_id", "topic", "id"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("sha256", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mime_type", Text, nullable=False),
    _created_at(),
    PrimaryKeyConstraint("workspace_id", "sha256"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="queued"),
    Column("params", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("asset_id", UUID(as_uuid=True)),
    Column("result_asset_id", UUID(as_uuid=True)),
    Column("idempotency_key", Text),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False, server_default="3"),
    Column("run_after", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("locked_by", Text),
    Column("lease_expires_at", DateTime(timezone=True)),
    Column("cancel_requested", Boolean, nullable=False, server_default=text("false")),
    Column("progress", Numeric(5, 4), nullable=False, server_default="0"),
    Column("cost", Numeric(12, 4), nullable=False, server_default="0"),
    # The estimate a queued or running job holds against budgets; 0 once it finished.
    Column("reserved_cost", Numeric(12, 4), nullable=False, server_default="0"),
    Column("error_code", Text),
    Column("error_message", Text),
    Column("error_class", Text),
    Column("prompt", Text),  # what a generation sent its provider
    _created_at(),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("workspace_id", "id"),
    UniqueConstraint("workspace_id", "idempotency_key"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    # A purged asset leaves its jobs behind, without the link.
    ForeignKeyConstraint(["workspace_id", "asset_id"], ["assets.workspace_id", "assets.id"],
                         ondelete="SET NULL (asset_id)", name="fk_jobs_asset"),
    ForeignKeyConstraint(["workspace_id", "result_asset_id"],
                         ["assets.workspace_id", "assets.id"],
                         ondelete="SET NULL (result_asset_id)", name="fk_jobs_result_asset"),
    CheckConstraint(
        "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="status"
    ),
    CheckConstraint("max_attempts BETWEEN 1 AND 20", name="max_attempts"),
    # Workers claim across workspaces: the queue's own index does not lead with the tenant,
    # and is in the claim's order, so a claim reads its first rows instead of sorting them all.
    Index("ix_jobs_queue", text("priority DESC"), "run_after", "id",
          postgresql_where=text("status = 'queued'")),
    Index("ix_jobs_lease", "lease_expires_at", postgresql_where=text("status = 'running'")),
    Index(None, "workspace_id", "asset_id"),
    Index(None, "workspace_id", "status", "created_at"),
)

budgets = Table(
    "budgets",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    # None: the workspace's budget.
    Column("collection_id", UUID(as_uuid=True)),
    Column("limit_amount", Numeric(14, 4), nullable=False),
    Column("period", Text, nullable=False),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("workspace_id", "id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["workspace_id", "collection_id"],
                         ["asset_collections.workspace_id", "asset_collections.id"],
                         ondelete="CASCADE", name="fk_budgets_collection"),
    CheckConstraint("period IN ('month', 'total')", name="period"),
    CheckConstraint("limit_amount >= 0", name="limit_non_negative"),
    Index("uq_budgets_scope", "workspace_id", "collection_id", unique=True,
          postgresql_nulls_not_distinct=True),
)
