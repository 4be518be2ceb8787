"""SQL for scenes: their film, project, neighbours and instances."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, select

from domain.db import Transaction
from domain.graph.vocabulary import RelationshipType
from domain.records import AssetRecord, CollectionRecord, RelationshipRecord, labelled
from domain.sync.queries import IS_SYNC_SOURCE
from domain.tables import asset_collection_members as members
from domain.tables import asset_collections as collections
from domain.tables import asset_relationships as rel
from domain.tables import assets

STRUCTURE_TYPES = ("film", "scene", "shot")


def _live(alias: Any, asset_id: Any) -> Any:
    return and_(alias.c.workspace_id == rel.c.workspace_id, alias.c.id == asset_id,
                alias.c.deleted_at.is_(None))


async def film_of_scene(tx: Transaction, scene_id: UUID) -> AssetRecord | None:
    """The live film the scene is `part_of` (the first linked, should there be several)."""
    row = (
        await tx.execute(
            select(assets)
            .join(rel, _live(assets, rel.c.parent_asset_id))
            .where(rel.c.workspace_id == tx.ws, rel.c.child_asset_id == scene_id,
                   rel.c.relationship_type == RelationshipType.PART_OF, assets.c.type == "film")
            .order_by(rel.c.id)
            .limit(1)
        )
    ).one_or_none()
    return AssetRecord.from_row(row) if row else None


async def scenes_of_film(tx: Transaction, film_id: UUID) -> list[AssetRecord]:
    """The film's live scenes in sequence order."""
    rows = await tx.execute(
        select(assets)
        .join(rel, _live(assets, rel.c.child_asset_id))
        .where(rel.c.workspace_id == tx.ws, rel.c.parent_asset_id == film_id,
               rel.c.relationship_type == RelationshipType.PART_OF, assets.c.type == "scene")
        .order_by(rel.c.sequence, rel.c.id)
    )
    return [AssetRecord.from_row(row) for row in rows]


async def project_of(tx: Transaction, asset_id: UUID) -> CollectionRecord | None:
    row = (
        await tx.execute(
            select(collections)
            .join(members, and_(members.c.workspace_id == collections.c.workspace_id,
                                members.c.collection_id == collections.c.id))
            .where(collections.c.workspace_id == tx.ws, collections.c.type == "project",
                   members.c.asset_id == asset_id)
            .order_by(collections.c.created_at, collections.c.id)
            .limit(1)
        )
    ).one_or_none()
    return CollectionRecord.from_row(row) if row else None


async def locked_project_assets(tx: Transaction, project_id: UUID) -> list[AssetRecord]:
    """What scenes are made of: the project's locked members other than film, scene, shot."""
    rows = await tx.execute(
        select(assets)
        .join(members, and_(members.c.workspace_id == assets.c.workspace_id,
                            members.c.asset_id == assets.c.id))
        .where(members.c.workspace_id == tx.ws, members.c.collection_id == project_id,
               assets.c.locked.is_(True), assets.c.deleted_at.is_(None),
               assets.c.type.not_in(STRUCTURE_TYPES))
        .order_by(assets.c.name, assets.c.id)
    )
    return [AssetRecord.from_row(row) for row in rows]


@dataclass(frozen=True)
class Instance:
    scene_id: UUID
    asset: AssetRecord
    variant_edge: RelationshipRecord
    project_asset: AssetRecord


async def instances_of_scenes(
    tx: Transaction, scene_ids: Sequence[UUID]
) -> dict[UUID, list[Instance]]:
    """The live instances used in each scene, by project asset name, in one statement."""
    instance, project_asset, used_in = assets.alias("i"), assets.alias("p"), rel.alias("u")
    rows = await tx.execute(
        select(used_in.c.parent_asset_id.label("scene_id"), *labelled(instance, "i_"),
               *labelled(rel, "v_"), *labelled(project_asset, "p_"))
        .select_from(used_in)
        .join(instance, and_(instance.c.workspace_id == used_in.c.workspace_id,
                             instance.c.id == used_in.c.child_asset_id,
                             instance.c.deleted_at.is_(None)))
        .join(rel, and_(rel.c.workspace_id == instance.c.workspace_id,
                        rel.c.child_asset_id == instance.c.id,
                        rel.c.relationship_type == RelationshipType.VARIANT_OF, IS_SYNC_SOURCE))
        .join(project_asset, and_(project_asset.c.workspace_id == rel.c.workspace_id,
                                  project_asset.c.id == rel.c.parent_asset_id))
        .where(used_in.c.workspace_id == tx.ws, used_in.c.parent_asset_id.in_(scene_ids),
               used_in.c.relationship_type == RelationshipType.USED_IN)
        .order_by(used_in.c.parent_asset_id, project_asset.c.name, instance.c.id)
    )
    grouped: dict[UUID, list[Instance]] = {scene_id: [] for scene_id in scene_ids}
    for row in rows:
        grouped[row.scene_id].append(Instance(
            scene_id=row.scene_id,
            asset=AssetRecord.from_row(row, "i_"),
            variant_edge=RelationshipRecord.from_row(row, "v_"),
            project_asset=AssetRecord.from_row(row, "p_"),
        ))
    return grouped


@dataclass(frozen=True)
class Neighbours:
    previous_id: UUID | None
    next_id: UUID | None


async def scene_neighbours(
    tx: Transaction, scene_ids: Sequence[UUID]
) -> dict[UUID, Neighbours]:
    """The scenes before and after each scene in its film's sequence, in one statement."""
    film_link, sibling_link, sibling = rel.alias("f"), rel.alias("s"), assets.alias("a")
    siblings = (
        select(
            film_link.c.child_asset_id.label("asked"),
            sibling_link.c.child_asset_id.label("sibling"),
            func.lag(sibling_link.c.child_asset_id).over(
                partition_by=film_link.c.child_asset_id,
                order_by=(sibling_link.c.sequence, sibling_link.c.id)).label("previous_id"),
            func.lead(sibling_link.c.child_asset_id).over(
                partition_by=film_link.c.child_asset_id,
                order_by=(sibling_link.c.sequence, sibling_link.c.id)).label("next_id"),
        )
        .select_from(film_link)
        .join(sibling_link, and_(sibling_link.c.workspace_id == film_link.c.workspace_id,
                                 sibling_link.c.parent_asset_id == film_link.c.parent_asset_id,
                                 sibling_link.c.relationship_type == RelationshipType.PART_OF))
        .join(sibling, and_(sibling.c.workspace_id == sibling_link.c.workspace_id,
                            sibling.c.id == sibling_link.c.child_asset_id,
                            sibling.c.type == "scene", sibling.c.deleted_at.is_(None)))
        .where(film_link.c.workspace_id == tx.ws, film_link.c.child_asset_id.in_(scene_ids),
               film_link.c.relationship_type == RelationshipType.PART_OF)
        .subquery()
    )
    rows = await tx.execute(
        select(siblings.c.asked, siblings.c.previous_id, siblings.c.next_id)
        .where(siblings.c.sibling == siblings.c.asked)
    )
    found = {row.asked: Neighbours(row.previous_id, row.next_id) for row in rows}
    return {scene_id: found.get(scene_id, Neighbours(None, None)) for scene_id in scene_ids}
