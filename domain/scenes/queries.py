"""SQL for scenes: their film, project, neighbours and instances."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.dialects.postgresql import UUID as UUID_TYPE

from domain.branches.queries import is_fork_provenance
from domain.db import Transaction
from domain.graph.vocabulary import RelationshipType
from domain.pages import pages_by_owner
from domain.records import (
    AssetRecord,
    CollectionRecord,
    Key,
    Page,
    RelationshipRecord,
    labelled,
)
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


async def films_of_scenes(tx: Transaction, scene_ids: Sequence[UUID]) -> dict[UUID, AssetRecord]:
    """Each scene's live film (as `film_of_scene`), in one statement; a scene of none is
    absent."""
    rows = await tx.execute(
        select(rel.c.child_asset_id.label("scene_id"), assets)
        .join(rel, _live(assets, rel.c.parent_asset_id))
        .where(rel.c.workspace_id == tx.ws, rel.c.child_asset_id.in_(scene_ids),
               rel.c.relationship_type == RelationshipType.PART_OF, assets.c.type == "film")
        .ext(distinct_on(rel.c.child_asset_id))
        .order_by(rel.c.child_asset_id, rel.c.id)
    )
    return {row.scene_id: AssetRecord.from_row(row) for row in rows}


async def projects_of(tx: Transaction, asset_ids: Sequence[UUID]) -> dict[UUID, CollectionRecord]:
    """Each asset's project collection (as `project_of`: the oldest), in one statement; an
    asset in none is absent."""
    rows = await tx.execute(
        select(members.c.asset_id.label("member_id"), collections)
        .join(members, and_(members.c.workspace_id == collections.c.workspace_id,
                            members.c.collection_id == collections.c.id))
        .where(collections.c.workspace_id == tx.ws, collections.c.type == "project",
               members.c.asset_id.in_(asset_ids))
        .ext(distinct_on(members.c.asset_id))
        .order_by(members.c.asset_id, collections.c.created_at, collections.c.id)
    )
    return {row.member_id: CollectionRecord.from_row(row) for row in rows}


_PAIRS = text("SELECT * FROM unnest(CAST(:firsts AS uuid[]), CAST(:seconds AS uuid[]))"
              " AS pair(first, second)").columns(first=UUID_TYPE, second=UUID_TYPE)


def _pairs(pairs: Sequence[tuple[UUID, UUID]]) -> dict[str, list[UUID]]:
    return {"firsts": [a for a, _ in pairs], "seconds": [b for _, b in pairs]}


async def memberships(tx: Transaction, pairs: Sequence[tuple[UUID, UUID]]
                      ) -> set[tuple[UUID, UUID]]:
    """Which (collection, asset) pairs are memberships, in one statement (`is_member`)."""
    given = _PAIRS.subquery("pair")
    rows = await tx.execute(
        select(members.c.collection_id, members.c.asset_id)
        .join(given, and_(members.c.collection_id == given.c.first,
                          members.c.asset_id == given.c.second))
        .where(members.c.workspace_id == tx.ws), _pairs(pairs))
    return {(row.collection_id, row.asset_id) for row in rows}


async def live_instance_pairs(tx: Transaction, pairs: Sequence[tuple[UUID, UUID]]
                              ) -> set[tuple[UUID, UUID]]:
    """Which (scene, project asset) pairs have a live instance, in one statement (through
    `uq_assets_scene_instance`)."""
    given = _PAIRS.subquery("pair")
    rows = await tx.execute(
        select(assets.c.scene_id, assets.c.instance_of)
        .join(given, and_(assets.c.scene_id == given.c.first,
                          assets.c.instance_of == given.c.second))
        .where(assets.c.workspace_id == tx.ws, assets.c.scene_id.is_not(None),
               assets.c.deleted_at.is_(None)), _pairs(pairs))
    return {(row.scene_id, row.instance_of) for row in rows}


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
    library_asset: AssetRecord | None = None  # the project asset's sync source, if any


async def instances_of_scenes(
    tx: Transaction, scene_ids: Sequence[UUID]
) -> dict[UUID, list[Instance]]:
    """The live instances used in each scene, by project asset name, each with its project
    asset and that asset's sync source (the library asset), in one statement."""
    instance, project_asset, used_in = assets.alias("i"), assets.alias("p"), rel.alias("u")
    library_edge, library_asset = rel.alias("le"), assets.alias("l")
    rows = await tx.execute(
        select(used_in.c.parent_asset_id.label("scene_id"), *labelled(instance, "i_"),
               *labelled(rel, "v_"), *labelled(project_asset, "p_"),
               *labelled(library_asset, "l_"))
        .select_from(used_in)
        .join(instance, and_(instance.c.workspace_id == used_in.c.workspace_id,
                             instance.c.id == used_in.c.child_asset_id,
                             instance.c.deleted_at.is_(None)))
        .join(rel, and_(rel.c.workspace_id == instance.c.workspace_id,
                        rel.c.child_asset_id == instance.c.id,
                        rel.c.relationship_type == RelationshipType.VARIANT_OF, IS_SYNC_SOURCE))
        .join(project_asset, and_(project_asset.c.workspace_id == rel.c.workspace_id,
                                  project_asset.c.id == rel.c.parent_asset_id))
        .outerjoin(library_edge, and_(
            library_edge.c.workspace_id == project_asset.c.workspace_id,
            library_edge.c.child_asset_id == project_asset.c.id,
            library_edge.c.relationship_type == RelationshipType.DERIVED_FROM,
            library_edge.c.metadata.has_key("source_version")))
        .outerjoin(library_asset, and_(library_asset.c.workspace_id == library_edge.c.workspace_id,
                                       library_asset.c.id == library_edge.c.parent_asset_id))
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
            library_asset=AssetRecord.from_row(row, "l_") if row.l_id is not None else None,
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


# -- where an asset sits: scene, film, project, and the style that applies ------------------

_PLACEMENT = text("""
    WITH asked AS (
        SELECT a.id, a.type, a.instance_of,
               CASE WHEN a.type = 'scene' THEN a.id
                    WHEN a.scene_id IS NOT NULL THEN a.scene_id
                    WHEN a.type = 'shot' THEN (
                        SELECT r.parent_asset_id FROM asset_relationships r
                        JOIN assets s ON s.workspace_id = r.workspace_id
                                     AND s.id = r.parent_asset_id AND s.type = 'scene'
                                     AND s.deleted_at IS NULL
                        WHERE r.workspace_id = a.workspace_id AND r.child_asset_id = a.id
                          AND r.relationship_type = 'part_of'
                        ORDER BY r.id LIMIT 1)
               END AS scene_id
        FROM assets a
        WHERE a.workspace_id = :ws AND a.id = ANY(:ids)
    ), placed AS (
        SELECT asked.*,
               CASE WHEN asked.type = 'film' THEN asked.id ELSE (
                   SELECT r.parent_asset_id FROM asset_relationships r
                   JOIN assets f ON f.workspace_id = r.workspace_id AND f.id = r.parent_asset_id
                                AND f.type = 'film' AND f.deleted_at IS NULL
                   WHERE r.workspace_id = :ws AND r.child_asset_id = asked.scene_id
                     AND r.relationship_type = 'part_of'
                   ORDER BY r.id LIMIT 1)
               END AS film_id
        FROM asked
    ), projected AS (
        SELECT placed.*, (
            SELECT c.id FROM asset_collection_members m
            JOIN asset_collections c ON c.workspace_id = m.workspace_id
                                    AND c.id = m.collection_id AND c.type = 'project'
            WHERE m.workspace_id = :ws
              AND m.asset_id IN (placed.id, placed.instance_of, placed.scene_id, placed.film_id)
            ORDER BY c.created_at, c.id LIMIT 1) AS project_id
        FROM placed
    )
    SELECT p.id, p.scene_id, p.film_id, p.project_id, p.instance_of,
           (SELECT n.number FROM (
                SELECT r.child_asset_id,
                       row_number() OVER (ORDER BY r.sequence, r.id) AS number
                FROM asset_relationships r
                JOIN assets s ON s.workspace_id = r.workspace_id AND s.id = r.child_asset_id
                             AND s.type = 'scene' AND s.deleted_at IS NULL
                WHERE r.workspace_id = :ws AND r.parent_asset_id = p.film_id
                  AND r.relationship_type = 'part_of') n
            WHERE n.child_asset_id = p.scene_id) AS scene_number,
           coalesce((
               SELECT st.id
               FROM (VALUES (p.id, 1), (p.instance_of, 2), (p.scene_id, 3), (p.film_id, 4))
                    AS chain(target, rank)
               JOIN asset_relationships r ON r.workspace_id = :ws
                                         AND r.parent_asset_id = chain.target
                                         AND r.relationship_type = 'used_in'
               JOIN assets st ON st.workspace_id = r.workspace_id AND st.id = r.child_asset_id
                             AND st.type = 'style' AND st.deleted_at IS NULL
               ORDER BY chain.rank, r.sequence, r.id LIMIT 1),
               (SELECT st.id FROM asset_collections c
                JOIN assets st ON st.workspace_id = c.workspace_id AND st.id = c.style_id
                              AND st.deleted_at IS NULL
                WHERE c.workspace_id = :ws AND c.id = p.project_id)) AS style_id,
           coalesce((SELECT c.style_required FROM asset_collections c
                     WHERE c.workspace_id = :ws AND c.id = p.project_id), false)
               AS style_required
    FROM projected p
""").bindparams(bindparam("ids", type_=ARRAY(UUID_TYPE)))


@dataclass(frozen=True)
class Placement:
    """Where an asset sits in a production, and the style that applies to it.

    `scene_id`: the scene itself, the scene an instance is used in, or a shot's scene.
    `film_id`: the film itself or the scene's film. `project_id`: the first project collection
    (oldest) holding the asset, its project asset, its scene or its film. `scene_number`: the
    scene's 1-based position among its film's live scenes. `style_id`: the effective style,
    the nearest of: a style USED_IN the asset, in its project asset (for an instance), in its
    scene, in its film, then the project's style.
    """

    scene_id: UUID | None = None
    film_id: UUID | None = None
    project_id: UUID | None = None
    project_asset_id: UUID | None = None
    scene_number: int | None = None
    style_id: UUID | None = None
    style_required: bool = False


async def placements(tx: Transaction, asset_ids: Sequence[UUID]) -> dict[UUID, Placement]:
    """Each asset's placement, in one statement; an unknown id gets an empty placement."""
    rows = await tx.execute(_PLACEMENT, {"ws": tx.ws, "ids": list(asset_ids)})
    found = {row.id: Placement(row.scene_id, row.film_id, row.project_id, row.instance_of,
                               row.scene_number, row.style_id, row.style_required)
             for row in rows}
    return {asset_id: found.get(asset_id, Placement()) for asset_id in asset_ids}


# -- one project asset's instances along a film ---------------------------------------------

@dataclass(frozen=True)
class ChainLink:
    """A scene of the film, and the live instance of one project asset in it (if any), with
    its sync edge and the DERIVED_FROM edge from the instance it was inherited from."""

    scene_id: UUID
    scene_number: int
    instance: AssetRecord | None
    variant_edge: RelationshipRecord | None
    inherited_edge: RelationshipRecord | None


async def instance_chain(tx: Transaction, film_id: UUID, project_asset_id: UUID
                         ) -> list[ChainLink]:
    """Every live scene of the film in order, each with its instance of the project asset,
    in one statement (whatever the number of instances in each scene)."""
    link, scene = rel.alias("l"), assets.alias("s")
    scenes = (
        select(link.c.child_asset_id.label("scene_id"),
               func.row_number().over(order_by=(link.c.sequence, link.c.id)).label("number"))
        .join(scene, and_(scene.c.workspace_id == link.c.workspace_id,
                          scene.c.id == link.c.child_asset_id, scene.c.type == "scene",
                          scene.c.deleted_at.is_(None)))
        .where(link.c.workspace_id == tx.ws, link.c.parent_asset_id == film_id,
               link.c.relationship_type == RelationshipType.PART_OF)
        .subquery("scenes")
    )
    instance, variant, inherited, prior = (assets.alias("i"), rel.alias("v"), rel.alias("d"),
                                           assets.alias("p"))
    inherited_edge = (
        select(inherited)
        .join(prior, and_(prior.c.workspace_id == inherited.c.workspace_id,
                          prior.c.id == inherited.c.parent_asset_id,
                          prior.c.instance_of == project_asset_id))
        .where(inherited.c.workspace_id == tx.ws, inherited.c.child_asset_id == instance.c.id,
               inherited.c.relationship_type == RelationshipType.DERIVED_FROM,
               ~is_fork_provenance(inherited))
        .order_by(inherited.c.id).limit(1)
        .lateral("inherited")
    )
    rows = await tx.execute(
        select(scenes.c.scene_id, scenes.c.number, *labelled(instance, "i_"),
               *labelled(variant, "v_"), *labelled(inherited_edge, "d_"))
        .select_from(scenes)
        .outerjoin(instance, and_(instance.c.workspace_id == tx.ws,
                                  instance.c.scene_id == scenes.c.scene_id,
                                  instance.c.instance_of == project_asset_id,
                                  instance.c.deleted_at.is_(None)))
        .outerjoin(variant, and_(variant.c.workspace_id == tx.ws,
                                 variant.c.child_asset_id == instance.c.id,
                                 variant.c.relationship_type == RelationshipType.VARIANT_OF,
                                 variant.c.metadata.has_key("source_version")))
        .outerjoin(inherited_edge, literal(True))
        .order_by(scenes.c.number)
    )
    return [ChainLink(
        scene_id=row.scene_id, scene_number=row.number,
        instance=AssetRecord.from_row(row, "i_") if row.i_id is not None else None,
        variant_edge=RelationshipRecord.from_row(row, "v_") if row.v_id is not None else None,
        inherited_edge=RelationshipRecord.from_row(row, "d_") if row.d_id is not None else None,
    ) for row in rows]


async def scene_instance_counts(tx: Transaction, scene_ids: Sequence[UUID]) -> dict[UUID, int]:
    """How many live instances each scene has (0 for one never inherited)."""
    rows = await tx.execute(
        select(assets.c.scene_id, func.count().label("instances"))
        .where(assets.c.workspace_id == tx.ws, assets.c.scene_id.in_(scene_ids),
               assets.c.deleted_at.is_(None))
        .group_by(assets.c.scene_id))
    found = {row.scene_id: row.instances for row in rows}
    return {scene_id: found.get(scene_id, 0) for scene_id in scene_ids}


@dataclass(frozen=True)
class InheritedFrom:
    """An instance's DERIVED_FROM edge from the instance it was inherited from, and that
    instance (soft-deleted or not)."""

    edge: RelationshipRecord
    instance: AssetRecord


async def inherited_from(tx: Transaction, instance_ids: Sequence[UUID]
                         ) -> dict[UUID, InheritedFrom | None]:
    """For each instance, where it was inherited from (None when it was bootstrapped from
    the project asset or added), in one statement."""
    edge, prior = rel.alias("d"), assets.alias("p")
    rows = await tx.execute(
        select(*labelled(edge, "d_"), *labelled(prior, "p_"))
        .join(prior, and_(prior.c.workspace_id == edge.c.workspace_id,
                          prior.c.id == edge.c.parent_asset_id,
                          prior.c.instance_of.is_not(None)))
        .where(edge.c.workspace_id == tx.ws, edge.c.child_asset_id.in_(instance_ids),
               edge.c.relationship_type == RelationshipType.DERIVED_FROM,
               ~is_fork_provenance(edge))
        .order_by(edge.c.child_asset_id, edge.c.id.desc())
    )
    found: dict[UUID, InheritedFrom | None] = {i: None for i in instance_ids}
    for row in rows:
        found[row.d_child_asset_id] = InheritedFrom(RelationshipRecord.from_row(row, "d_"),
                                                    AssetRecord.from_row(row, "p_"))
    return found


async def is_member(tx: Transaction, collection_id: UUID, asset_id: UUID) -> bool:
    return (await tx.execute(
        select(members.c.id).where(members.c.workspace_id == tx.ws,
                                   members.c.collection_id == collection_id,
                                   members.c.asset_id == asset_id))).first() is not None


INSTANCE_KEY = (datetime, UUID)  # (created_at, id): the order inheritance made them in


async def instance_pages(tx: Transaction, owner_ids: Sequence[UUID], *, first: int,
                         after: Key | None) -> dict[UUID, Page[AssetRecord]]:
    """The live instances of each owner: a scene's instances, or a project asset's in every
    scene; oldest first (`INSTANCE_KEY`), a page of each, with totals, in one statement."""
    live = and_(assets.c.workspace_id == tx.ws, assets.c.deleted_at.is_(None))
    of_scene = select(assets.c.scene_id.label("owner_id"), assets).where(
        live, assets.c.scene_id.in_(owner_ids))
    of_project_asset = select(assets.c.instance_of.label("owner_id"), assets).where(
        live, assets.c.instance_of.in_(owner_ids), assets.c.scene_id.is_not(None))
    found = of_scene.union_all(of_project_asset).cte("instances")
    return await pages_by_owner(
        tx, found, owner="owner_id", key=(found.c.created_at, found.c.id), owners=owner_ids,
        first=first, after=after, record=AssetRecord.from_row,
        record_key=lambda asset: (asset.created_at, asset.id))
