"""Scene inheritance: `inheritSceneAssets`. It never commits.

Two concurrent calls on one scene serialise on a transaction advisory lock keyed by the
scene, so the second sees the first's instances and is refused: one set of instances, ever.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.assets import queries as asset_queries
from domain.assets.use_cases import copy_asset, get_live_asset_for_update, update_asset
from domain.assets.vocabulary import AssetSource
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode
from domain.events import record_event
from domain.graph import queries as graph_queries
from domain.graph.use_cases import add_edge
from domain.graph.vocabulary import RelationshipType
from domain.ids import lock_key
from domain.records import AssetRecord
from domain.scenes import queries
from domain.scenes.queries import Instance
from domain.sync.rules import INSTANCE_FLAG, snapshot
from domain.sync.use_cases import link_sync_source


@dataclass(frozen=True)
class Inheritance:
    scene: AssetRecord
    instances: list[AssetRecord]


def _invalid(message: str) -> DomainError:
    return DomainError.of(ErrorCode.INVALID, message, "sceneId")


async def inherit_scene_assets(tx: Transaction, scene_id: UUID, *, replace: bool
                               ) -> Inheritance:
    scene = await get_live_asset_for_update(tx, scene_id, "sceneId")
    if scene.type != "scene":
        raise _invalid(f"{scene.name!r} is a {scene.type}, not a scene")
    await graph_queries.lock_graph(tx, lock_key(tx.ws, f"scene:{scene_id}"))
    film = await queries.film_of_scene(tx, scene_id)
    if film is None:
        raise _invalid(f"scene {scene.name!r} is not part_of a film")
    project = await queries.project_of(tx, film.id)
    if project is None:
        raise _invalid(f"film {film.name!r} is in no project collection")

    existing = (await queries.instances_of_scenes(tx, [scene_id]))[scene_id]
    if existing and not replace:
        raise DomainError.of(
            ErrorCode.CONFLICT,
            f"scene {scene.name!r} already has {len(existing)} instance(s); ask to replace them",
            "sceneId",
        )
    for old in existing:
        await asset_queries.mark_deleted(tx, old.asset.id, deleted=True)
        await record_event(tx, "asset.deleted", old.asset.id, {"replaced_in_scene": scene_id})

    scenes = await queries.scenes_of_film(tx, film.id)
    position = next(i for i, s in enumerate(scenes) if s.id == scene_id)
    if position == 0:
        instances = [await _bootstrap(tx, scene, asset)
                     for asset in await queries.locked_project_assets(tx, project.id)]
        previous = None
    else:
        previous = scenes[position - 1]
        prior = (await queries.instances_of_scenes(tx, [previous.id]))[previous.id]
        if not prior:
            raise _invalid(f"the scene before, {previous.name!r}, has no instances to inherit; "
                           "inherit it first")
        instances = [await _inherit(tx, scene, instance) for instance in prior]
    await record_event(tx, "asset.scene_inherited", scene_id, {
        "film_id": film.id, "project_id": project.id,
        "from_scene_id": previous.id if previous else None,
        "instance_ids": [i.id for i in instances], "replaced": [o.asset.id for o in existing],
    })
    return Inheritance(scene=scene, instances=instances)


async def _new_instance(tx: Transaction, scene: AssetRecord, project_asset: AssetRecord,
                        values: AssetRecord, *, tags: list[str], carry_forward: bool
                        ) -> AssetRecord:
    instance = await copy_asset(
        tx, values, source=AssetSource.DERIVATIVE,
        provenance={"instance_of": project_asset.id, "scene_id": scene.id},
        metadata={**values.metadata, INSTANCE_FLAG: carry_forward}, tags=tags,
        scene_id=scene.id, instance_of=project_asset.id)
    await add_edge(tx, parent_id=scene.id, child_id=instance.id,
                   relationship_type=RelationshipType.USED_IN)
    return instance


async def _bootstrap(tx: Transaction, scene: AssetRecord, project_asset: AssetRecord
                     ) -> AssetRecord:
    instance = await _new_instance(tx, scene, project_asset, project_asset, tags=[],
                                   carry_forward=True)
    await link_sync_source(tx, child=instance, source=project_asset,
                           relationship_type=RelationshipType.VARIANT_OF, overridden=[])
    return instance


async def _inherit(tx: Transaction, scene: AssetRecord, prior: Instance) -> AssetRecord:
    """carry_forward: copy the prior state and its overrides; else reset to the project asset."""
    carry = prior.asset.metadata.get(INSTANCE_FLAG) is not False
    sync: dict[str, Any] = prior.variant_edge.metadata
    if carry:
        instance = await _new_instance(tx, scene, prior.project_asset, prior.asset,
                                       tags=list(prior.asset.tags), carry_forward=True)
        await link_sync_source(
            tx, child=instance, source=prior.project_asset,
            relationship_type=RelationshipType.VARIANT_OF,
            overridden=list(sync.get("overridden_fields", [])), base=sync.get("base"),
            source_version=sync.get("source_version"))
    else:
        instance = await _new_instance(tx, scene, prior.project_asset, prior.project_asset,
                                       tags=[], carry_forward=False)
        await link_sync_source(tx, child=instance, source=prior.project_asset,
                               relationship_type=RelationshipType.VARIANT_OF, overridden=[],
                               base=snapshot(prior.project_asset, RelationshipType.VARIANT_OF))
    await add_edge(tx, parent_id=prior.asset.id, child_id=instance.id,
                   relationship_type=RelationshipType.DERIVED_FROM)
    return instance


async def set_carry_forward(tx: Transaction, asset_id: UUID, carry_forward: bool
                            ) -> AssetRecord:
    """Whether the next scene inherits this instance's state or resets it."""
    asset = await get_live_asset_for_update(tx, asset_id)
    if INSTANCE_FLAG not in asset.metadata:
        raise DomainError.of(ErrorCode.INVALID, f"{asset.name!r} is not a scene instance", "id")
    return await update_asset(tx, asset_id, {"metadata": {**asset.metadata,
                                                          INSTANCE_FLAG: carry_forward}})
