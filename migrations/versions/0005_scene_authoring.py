"""Scene authoring: which scene and project asset an instance stands for; styles of projects.

`assets.scene_id` / `assets.instance_of` mark a scene instance (set when it is created, never
edited). A partial unique index makes one live instance per (scene, project asset) a database
rule, not a check a race could slip past. A collection (a project) may name its style and
require one for generation. A job records the prompt its generation used. Existing instances
are backfilled from their edges (the oldest live instance of a pair, should an older version
have made two).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.add_column("assets", sa.Column("scene_id", UUID(as_uuid=True)))
    op.add_column("assets", sa.Column("instance_of", UUID(as_uuid=True)))
    op.create_foreign_key("fk_assets_scene", "assets", "assets", ["workspace_id", "scene_id"],
                          ["workspace_id", "id"], ondelete="SET NULL (scene_id)")
    op.create_foreign_key("fk_assets_instance_of", "assets", "assets",
                          ["workspace_id", "instance_of"], ["workspace_id", "id"],
                          ondelete="SET NULL (instance_of)")
    op.execute("""
        UPDATE assets a SET scene_id = found.scene_id, instance_of = found.project_asset_id
        FROM (
            SELECT DISTINCT ON (u.workspace_id, u.parent_asset_id, v.parent_asset_id)
                   u.workspace_id, u.child_asset_id AS instance_id,
                   u.parent_asset_id AS scene_id, v.parent_asset_id AS project_asset_id
            FROM asset_relationships u
            JOIN assets s ON s.workspace_id = u.workspace_id AND s.id = u.parent_asset_id
                         AND s.type = 'scene'
            JOIN assets i ON i.workspace_id = u.workspace_id AND i.id = u.child_asset_id
                         AND i.deleted_at IS NULL
            JOIN asset_relationships v ON v.workspace_id = u.workspace_id
                         AND v.child_asset_id = u.child_asset_id
                         AND v.relationship_type = 'variant_of' AND v.metadata ? 'source_version'
            WHERE u.relationship_type = 'used_in'
            ORDER BY u.workspace_id, u.parent_asset_id, v.parent_asset_id, i.created_at, i.id
        ) found
        WHERE a.workspace_id = found.workspace_id AND a.id = found.instance_id""")
    op.create_index("uq_assets_scene_instance", "assets",
                    ["workspace_id", "scene_id", "instance_of"], unique=True,
                    postgresql_where=sa.text("scene_id IS NOT NULL AND deleted_at IS NULL"))
    op.create_index("ix_assets_instance_of", "assets", ["workspace_id", "instance_of"],
                    postgresql_where=sa.text("instance_of IS NOT NULL"))
    op.add_column("asset_collections", sa.Column("style_id", UUID(as_uuid=True)))
    op.add_column("asset_collections", sa.Column(
        "style_required", sa.Boolean, nullable=False, server_default=sa.text("false")))
    op.add_column("jobs", sa.Column("prompt", sa.Text))
    op.create_foreign_key("fk_asset_collections_style", "asset_collections", "assets",
                          ["workspace_id", "style_id"], ["workspace_id", "id"],
                          ondelete="SET NULL (style_id)")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_constraint("fk_asset_collections_style", "asset_collections")
    op.drop_column("jobs", "prompt")
    op.drop_column("asset_collections", "style_required")
    op.drop_column("asset_collections", "style_id")
    op.drop_index("ix_assets_instance_of", table_name="assets")
    op.drop_index("uq_assets_scene_instance", table_name="assets")
    op.drop_constraint("fk_assets_instance_of", "assets")
    op.drop_constraint("fk_assets_scene", "assets")
    op.drop_column("assets", "instance_of")
    op.drop_column("assets", "scene_id")
