"""Scene authoring: inherit, add, remove and propagate instances. They never commit.

Every writer takes the film's advisory lock (`film:<id>`) after the row lock of the asset it
acts on, so two authoring calls on one film serialise and each sees the other's instances; a
partial unique index (`uq_assets_scene_instance`) keeps one live instance per (scene, project
asset) whatever path writes it.

Inheritance bookkeeping lives on the DERIVED_FROM edge from the prior scene's instance:
`from_version` (the prior instance's version when this one took its state) and
`instance_version` (this instance's version right after). An instance whose version is still
`instance_version` has no local edit since it was inherited; one whose source moved past
`from_version` is stale (DESIGN §4, docs/decisions.md).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from domain.assets import queries as asset_queries
from domain.assets.use_cases import (
    NOT_IMPORTED,
    AssetCopy,
    Imported,
    copy_assets,
    get_live_asset_for_update,
    one_instance_per_scene,
    refuse_if_locked,
    update_asset,
    without_legacy,
)
from domain.assets.vocabulary import AssetSource
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail, not_found
from domain.events import Event, record_each, record_event
from domain.graph import queries as graph_queries
from domain.graph.use_cases import NewEdge, add_edge, add_edges
from domain.graph.vocabulary import RelationshipType
from domain.ids import lock_key
from domain.records import AssetRecord, RelationshipRecord
from domain.rules import (
    changed_fields,
    json_object_errors,
    normalize_tags,
    raise_if,
    tags_errors,
    text_errors,
)
from domain.scenes import queries
from domain.scenes.queries import STRUCTURE_TYPES, ChainLink, Instance
from domain.scenes.vocabulary import InheritMode, SkipReason
from domain.sync import queries as sync_queries
from domain.sync.rules import INSTANCE_FLAG, LOCAL_METADATA_KEYS, snapshot, sync_metadata
from domain.sync.use_cases import SyncLink, link_sync_source, now_iso, sync_source_edges

# An instance's own state, copied from the prior scene's instance when it carries forward.
STATE_FIELDS = ("name", "description", "generation_prompt", "url", "blob_sha256", "mime_type",
                "size", "duration", "metadata", "tags")


@dataclass(frozen=True)
class Film:
    scene: AssetRecord
    film: AssetRecord
    project_id: UUID


def _invalid(message: str, field: str = "sceneId") -> DomainError:
    return DomainError.of(ErrorCode.INVALID, message, field)


async def _scenes_in_films(tx: Transaction, scene_ids: Sequence[UUID],
                           field: str = "sceneId") -> dict[UUID, Film]:
    """The live scenes (row-locked, in id order), each with its film and project; the films'
    authoring locks held (in key order). Four statements however many scenes; the first
    scene refused (in the order given) raises."""
    unique = list(dict.fromkeys(scene_ids))
    scenes = await asset_queries.get_assets_for_update(tx, unique)
    for scene_id in unique:
        scene = scenes.get(scene_id)
        if scene is None:
            raise not_found("asset", field)
        if scene.deleted_at is not None:
            raise _invalid(f"asset {scene.name!r} is deleted; restore it first", field)
        if scene.type != "scene":
            raise _invalid(f"{scene.name!r} is a {scene.type}, not a scene", field)
    films = await queries.films_of_scenes(tx, unique)
    for scene_id in unique:
        if scene_id not in films:
            raise _invalid(f"scene {scenes[scene_id].name!r} is not part_of a film", field)
    film_ids = list(dict.fromkeys(f.id for f in films.values()))
    await graph_queries.lock_graphs(tx, [lock_key(tx.ws, f"film:{f}") for f in film_ids])
    projects = await queries.projects_of(tx, film_ids)
    for scene_id in unique:
        if films[scene_id].id not in projects:
            raise _invalid(f"film {films[scene_id].name!r} is in no project collection", field)
    return {scene_id: Film(scenes[scene_id], films[scene_id], projects[films[scene_id].id].id)
            for scene_id in unique}


async def _scene_in_film(tx: Transaction, scene_id: UUID, field: str = "sceneId") -> Film:
    """The live scene (row-locked), its film and project; the film's authoring lock held."""
    return (await _scenes_in_films(tx, [scene_id], field))[scene_id]


async def _instance_for_update(tx: Transaction, instance_id: UUID) -> AssetRecord:
    instance = await get_live_asset_for_update(tx, instance_id, "instanceId")
    if instance.scene_id is None or instance.instance_of is None:
        raise _invalid(f"{instance.name!r} is not a scene instance", "instanceId")
    return instance


# -- inheritance ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Inheritance:
    scene: AssetRecord
    instances: list[AssetRecord]


async def inherit_scene_assets(tx: Transaction, scene_id: UUID, *, mode: InheritMode,
                               from_scene_id: UUID | None = None) -> Inheritance:
    """Scene 1 bootstraps from the project's locked assets, a later scene inherits from the
    scene before it (or `from_scene_id`, an earlier scene of the same film).

    CREATE refuses a scene with instances; MERGE adds only what is missing and keeps every
    instance there; REPLACE soft-deletes them and inherits afresh."""
    placed = await _scene_in_film(tx, scene_id)
    scene = placed.scene
    existing = (await queries.instances_of_scenes(tx, [scene_id]))[scene_id]
    if existing and mode == InheritMode.CREATE:
        raise DomainError.of(
            ErrorCode.CONFLICT,
            f"scene {scene.name!r} already has {len(existing)} instance(s); merge or replace",
            "sceneId")
    scenes = await queries.scenes_of_film(tx, placed.film.id)
    position = next(i for i, s in enumerate(scenes) if s.id == scene_id)
    source = scenes[position - 1] if position else None
    if from_scene_id is not None:
        index = next((i for i, s in enumerate(scenes) if s.id == from_scene_id), None)
        if index is None:
            raise _invalid("fromSceneId is not a live scene of this scene's film", "fromSceneId")
        if index >= position:
            raise _invalid("inheritance flows forward: fromSceneId must come before the scene",
                           "fromSceneId")
        source = scenes[index]
    replaced = existing if mode == InheritMode.REPLACE else []
    for old in replaced:
        await asset_queries.mark_deleted(tx, old.asset.id, deleted=True)
        await record_event(tx, "asset.deleted", old.asset.id, {"replaced_in_scene": scene_id})
    kept = {i.project_asset.id for i in existing} if mode == InheritMode.MERGE else set()
    if source is None:
        project_assets = await queries.locked_project_assets(tx, placed.project_id)
        instances = [await _bootstrap(tx, scene, asset)
                     for asset in project_assets if asset.id not in kept]
    else:
        prior = (await queries.instances_of_scenes(tx, [source.id]))[source.id]
        if not prior:
            raise _invalid(f"the scene to inherit from, {source.name!r}, has no instances; "
                           "inherit it first")
        instances = [(await _inherit(tx, scene, instance))[0]
                     for instance in prior if instance.project_asset.id not in kept]
    await record_event(tx, "asset.scene_inherited", scene_id, {
        "film_id": placed.film.id, "project_id": placed.project_id, "mode": mode,
        "from_scene_id": source.id if source else None,
        "instance_ids": [i.id for i in instances], "replaced": [o.asset.id for o in replaced],
    })
    return Inheritance(scene=scene, instances=instances)


def _instance_copy(scene: AssetRecord, project_asset: AssetRecord, values: AssetRecord, *,
                   tags: list[str], carry_forward: bool, description: str | None = None,
                   own_metadata: Mapping[str, Any] | None = None,
                   imported: Imported = NOT_IMPORTED) -> AssetCopy:
    """An instance of the project asset in the scene, with `values`' content."""
    metadata = {**without_legacy(values.metadata), INSTANCE_FLAG: carry_forward,
                **(own_metadata or {})}
    return AssetCopy(values, AssetSource.DERIVATIVE,
                     {"instance_of": project_asset.id, "scene_id": scene.id}, {
                         "description": values.description if description is None
                         else description,
                         "metadata": metadata, "tags": tags, "scene_id": scene.id,
                         "instance_of": project_asset.id, **imported.values()})


async def _new_instance(tx: Transaction, scene: AssetRecord, project_asset: AssetRecord,
                        values: AssetRecord, *, tags: list[str], carry_forward: bool
                        ) -> AssetRecord:
    with one_instance_per_scene("sceneId"):
        instance = (await copy_assets(tx, [_instance_copy(
            scene, project_asset, values, tags=tags, carry_forward=carry_forward)]))[0]
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


def _carries(instance: AssetRecord) -> bool:
    return instance.metadata.get(INSTANCE_FLAG) is not False


def _inherited_sync(prior: Instance) -> dict[str, Any]:
    """The sync state an instance inherited from `prior` starts with: the prior's overrides
    when it carries forward, else none and a fresh base from the project asset."""
    if _carries(prior.asset):
        sync = prior.variant_edge.metadata
        return {"overridden": list(sync.get("overridden_fields", [])), "base": sync.get("base"),
                "source_version": sync.get("source_version")}
    return {"overridden": [],
            "base": snapshot(prior.project_asset, RelationshipType.VARIANT_OF),
            "source_version": prior.project_asset.version}


async def _inherit(tx: Transaction, scene: AssetRecord, prior: Instance
                   ) -> tuple[AssetRecord, RelationshipRecord]:
    """carry_forward: copy the prior state and its overrides; else reset to the project asset.
    The new instance and its sync edge."""
    if _carries(prior.asset):
        instance = await _new_instance(tx, scene, prior.project_asset, prior.asset,
                                       tags=list(prior.asset.tags), carry_forward=True)
    else:
        instance = await _new_instance(tx, scene, prior.project_asset, prior.project_asset,
                                       tags=[], carry_forward=False)
    edge = await link_sync_source(tx, child=instance, source=prior.project_asset,
                                  relationship_type=RelationshipType.VARIANT_OF,
                                  **_inherited_sync(prior))
    await add_edge(tx, parent_id=prior.asset.id, child_id=instance.id,
                   relationship_type=RelationshipType.DERIVED_FROM,
                   metadata=_inheritance_marks(prior.asset, instance))
    return instance, edge


def _inheritance_marks(prior: AssetRecord, instance: AssetRecord) -> dict[str, int]:
    return {"from_version": prior.version, "instance_version": instance.version}


# -- adding instances ---------------------------------------------------------------------------

@dataclass(frozen=True)
class NewSceneAsset:
    scene_id: UUID
    project_asset_id: UUID
    description_override: str | None = None
    status_tags: Sequence[str] = ()
    carry_forward: bool = True
    propagate: bool = False
    # Metadata keys of the instance's own, never synced (`OWN_KEYS`: an imported row's legacy
    # identity), and its life before (an import's times and version).
    own_metadata: Mapping[str, Any] = field(default_factory=dict)
    imported: Imported = NOT_IMPORTED


OWN_KEYS = LOCAL_METADATA_KEYS - {INSTANCE_FLAG}
"""The keys `own_metadata` may give (the flag is `carry_forward`)."""


@dataclass(frozen=True)
class AddedSceneAsset:
    instance: AssetRecord
    propagated: list[AssetRecord]


def _input_errors(new: NewSceneAsset, tags: list[str]) -> list[ErrorDetail]:
    return (text_errors(new.description_override, "descriptionOverride")
            + [ErrorDetail(d.code, d.message, "statusTags") for d in tags_errors(tags)]
            + [ErrorDetail(ErrorCode.INVALID, f"{key!r} is not a key of an instance's own",
                           f"metadata.{key}") for key in new.own_metadata if key not in OWN_KEYS]
            + json_object_errors(dict(new.own_metadata), "metadata") + new.imported.errors())


async def _project_assets(tx: Transaction, news: Sequence[NewSceneAsset],
                          placed: dict[UUID, Film]) -> dict[UUID, AssetRecord]:
    """The project assets of `news`, each checked as `add_scene_asset` checks one: live, not
    a film, scene, shot or instance, a member of its scene's project; then no pair twice and
    none whose scene has an instance of it already (CONFLICT)."""
    found = await asset_queries.get_assets(tx, [n.project_asset_id for n in news])
    pairs = [(placed[n.scene_id].project_id, n.project_asset_id) for n in news]
    member = await queries.memberships(tx, pairs)
    for new, pair in zip(news, pairs, strict=True):
        project_asset = found.get(new.project_asset_id)
        if project_asset is None:
            raise not_found("asset", "projectAssetId")
        if project_asset.deleted_at is not None:
            raise _invalid(f"{project_asset.name!r} is deleted; restore it first",
                           "projectAssetId")
        if (project_asset.type in STRUCTURE_TYPES or project_asset.instance_of is not None
                or pair not in member):
            raise _invalid(f"{project_asset.name!r} is not an asset of this film's project",
                           "projectAssetId")
    taken = await queries.live_instance_pairs(tx, [(n.scene_id, n.project_asset_id)
                                                   for n in news])
    for new in news:
        pair = (new.scene_id, new.project_asset_id)
        if pair in taken:
            raise DomainError.of(
                ErrorCode.CONFLICT, f"scene {placed[new.scene_id].scene.name!r} already has an "
                f"instance of {found[new.project_asset_id].name!r}", "projectAssetId")
        taken.add(pair)
    return found


async def add_scene_assets(tx: Transaction, news: Sequence[NewSceneAsset]
                           ) -> list[AddedSceneAsset]:
    """Instances of project assets in scenes (of any films), each as `add_scene_asset` adds
    one, with the same checks (the first refused refuses them all, with its error; a
    (scene, project asset) pair listed twice is CONFLICT), rows and events, in a fixed number
    of statements however many: the scenes and their films, locked; the project assets, their
    memberships and the instances there already; one insert of the instances, one of their
    USED_IN and VARIANT_OF edges, one of the `asset.scene_asset_added` events. Those with
    `propagate` then propagate one by one. In the order given."""
    if not news:
        return []
    tags_of = []
    for new in news:
        tags = normalize_tags(list(new.status_tags))
        raise_if(_input_errors(new, tags))
        tags_of.append(tags)
    placed = await _scenes_in_films(tx, [n.scene_id for n in news])
    project_assets = await _project_assets(tx, news, placed)
    copies, links = [], []
    for new, tags in zip(news, tags_of, strict=True):
        project_asset = project_assets[new.project_asset_id]
        description = new.description_override
        overridden = ([] if description in (None, project_asset.description)
                      else ["description"])
        copies.append(_instance_copy(placed[new.scene_id].scene, project_asset, project_asset,
                                     tags=tags, carry_forward=new.carry_forward,
                                     description=description if overridden else None,
                                     own_metadata=new.own_metadata, imported=new.imported))
        links.append(overridden)
    with one_instance_per_scene("sceneId"):
        instances = await copy_assets(tx, copies)
    sync_links = [SyncLink(instance, project_assets[new.project_asset_id],
                           RelationshipType.VARIANT_OF, overridden)
                  for new, instance, overridden in zip(news, instances, links, strict=True)]
    edges = await add_edges(tx, [edge for new, instance, sync_edge in zip(
        news, instances, sync_source_edges(sync_links), strict=True)
        for edge in (NewEdge(new.scene_id, instance.id, RelationshipType.USED_IN), sync_edge)])
    added = []
    for index, (new, instance) in enumerate(zip(news, instances, strict=True)):
        propagated = []
        if new.propagate:
            prior = Instance(new.scene_id, instance, edges[2 * index + 1],
                             project_assets[new.project_asset_id])
            propagated = await _propagate_new(tx, placed[new.scene_id].film.id, prior)
        added.append(AddedSceneAsset(instance, propagated))
    await record_each(tx, [Event("asset.scene_asset_added", new.scene_id, {
        "instance_id": made.instance.id, "project_asset_id": new.project_asset_id,
        "propagated": [p.id for p in made.propagated]})
        for new, made in zip(news, added, strict=True)])
    return added


async def _propagate_new(tx: Transaction, film_id: UUID, prior: Instance) -> list[AssetRecord]:
    """A new instance's own copy in each later scene that was already inherited, down the
    chain, until a scene that has one."""
    chain = await queries.instance_chain(tx, film_id, prior.project_asset.id)
    position = next(i for i, link in enumerate(chain) if link.scene_id == prior.scene_id)
    later = chain[position + 1:]
    counts = await queries.scene_instance_counts(tx, [link.scene_id for link in later])
    scenes = await asset_queries.get_assets(tx, [link.scene_id for link in later])
    propagated = []
    for link in later:
        if link.instance is not None or counts[link.scene_id] == 0:
            break
        made, made_edge = await _inherit(tx, scenes[link.scene_id], prior)
        propagated.append(made)
        prior = Instance(link.scene_id, made, made_edge, prior.project_asset)
    return propagated


async def add_scene_asset(tx: Transaction, new: NewSceneAsset) -> AddedSceneAsset:
    """One instance of a project asset in a scene (`add_scene_assets`); with `propagate`,
    each later scene that was already inherited gets its own down the chain, until a scene
    that has one."""
    return (await add_scene_assets(tx, [new]))[0]


# -- removing and propagating along the chain -------------------------------------------------

@dataclass(frozen=True)
class Skipped:
    instance: AssetRecord
    reason: SkipReason


def _blocked(link: ChainLink, prior: AssetRecord) -> SkipReason | None:
    """Why the chain may not flow from `prior` into this scene's instance, or None."""
    assert link.instance is not None
    edge = link.inherited_edge
    if edge is None or edge.parent_asset_id != prior.id:
        return SkipReason.NOT_INHERITED
    if link.instance.locked:
        return SkipReason.LOCKED
    if edge.metadata.get("instance_version") != link.instance.version:
        return SkipReason.LOCAL_EDIT
    return None


async def _locked(tx: Transaction, link: ChainLink) -> ChainLink:
    """The link with its instance row-locked and read again: an edit committed since the
    chain was read is seen (and stops the chain) instead of being overwritten."""
    if link.instance is None:
        return link
    current = await asset_queries.get_asset_for_update(tx, link.instance.id)
    live = current if current is not None and current.deleted_at is None else None
    return replace(link, instance=live)


async def _later_links(tx: Transaction, instance: AssetRecord) -> list[ChainLink]:
    assert instance.scene_id is not None and instance.instance_of is not None
    film = await queries.film_of_scene(tx, instance.scene_id)
    if film is None:
        return []
    await graph_queries.lock_graph(tx, lock_key(tx.ws, f"film:{film.id}"))
    chain = await queries.instance_chain(tx, film.id, instance.instance_of)
    position = next((i for i, link in enumerate(chain) if link.scene_id == instance.scene_id),
                    None)
    return [] if position is None else chain[position + 1:]


@dataclass(frozen=True)
class Removal:
    instance: AssetRecord
    removed: list[AssetRecord]
    kept: list[Skipped]


async def remove_scene_asset(tx: Transaction, instance_id: UUID, *, propagate: bool
                             ) -> Removal:
    """Soft-delete an instance. Later scenes keep theirs (their DERIVED_FROM edge to it stays)
    unless `propagate`: then each later one inherited from the one before and unedited since
    goes too, until the first that is not."""
    instance = await _instance_for_update(tx, instance_id)
    refuse_if_locked(instance)
    removed, kept = [], []
    if propagate:
        prior = instance
        for found in await _later_links(tx, instance):
            link = await _locked(tx, found)
            if link.instance is None:
                break
            reason = _blocked(link, prior)
            if reason is not None:
                kept.append(Skipped(link.instance, reason))
                break
            prior = link.instance
            removed.append(link.instance)
    deleted = await _remove(tx, instance, cascade_from=None)
    removed = [await _remove(tx, later, cascade_from=instance.id) for later in removed]
    return Removal(deleted, removed, kept)


async def _remove(tx: Transaction, instance: AssetRecord, *, cascade_from: UUID | None
                  ) -> AssetRecord:
    deleted = await asset_queries.mark_deleted(tx, instance.id, deleted=True)
    await record_event(tx, "asset.deleted", instance.id, {
        "removed_from_scene": instance.scene_id, "propagated_from": cascade_from})
    return deleted


@dataclass(frozen=True)
class Propagation:
    instance: AssetRecord
    updated: list[AssetRecord]
    skipped: list[Skipped]


async def propagate_scene_asset(tx: Transaction, instance_id: UUID) -> Propagation:
    """Re-inherit, scene after scene, the later instances of the same project asset that were
    inherited down this chain and not edited since: each takes its prior's state when the
    prior carries forward, else the project asset's (as inheritance would). The first that
    was edited, is locked or was not inherited from the chain stops it and is reported."""
    instance = await _instance_for_update(tx, instance_id)
    later = await _later_links(tx, instance)
    assert instance.scene_id is not None and instance.instance_of is not None
    project_asset = (await asset_queries.get_assets(tx, [instance.instance_of]))[
        instance.instance_of]
    source = await sync_queries.sync_source_for_update(tx, instance.id)
    assert source is not None
    prior = Instance(instance.scene_id, instance, source.edge, project_asset)
    updated, skipped = [], []
    for found in later:
        link = await _locked(tx, found)
        if link.instance is None:
            break
        reason = _blocked(link, prior.asset)
        if reason is not None:
            skipped.append(Skipped(link.instance, reason))
            break
        assert link.variant_edge is not None and link.inherited_edge is not None
        refreshed, edge = await _reinherit(tx, prior, link)
        updated.append(refreshed)
        prior = Instance(link.scene_id, refreshed, edge, project_asset)
    await record_event(tx, "asset.propagated", instance.id, {
        "updated": [u.id for u in updated],
        "skipped": [{"instance_id": s.instance.id, "reason": s.reason} for s in skipped]})
    return Propagation(instance, updated, skipped)


async def _reinherit(tx: Transaction, prior: Instance, link: ChainLink
                     ) -> tuple[AssetRecord, RelationshipRecord]:
    """Give the link's instance the state inheritance from `prior` would give it now."""
    current = link.instance
    assert current is not None and link.variant_edge is not None
    assert link.inherited_edge is not None
    carries = _carries(prior.asset)
    origin = prior.asset if carries else prior.project_asset
    values: dict[str, Any] = {name: getattr(origin, name) for name in STATE_FIELDS}
    # The instance's own metadata keys (its flag, its legacy identity) are never pushed.
    values["metadata"] = {**{k: v for k, v in origin.metadata.items()
                             if k not in LOCAL_METADATA_KEYS},
                          **{k: v for k, v in current.metadata.items()
                             if k in LOCAL_METADATA_KEYS}, INSTANCE_FLAG: carries}
    values["tags"] = list(origin.tags) if carries else []
    changes = {name: value for name, value in values.items()
               if value != getattr(current, name)}
    refreshed = current
    if changes:
        diff = changed_fields({name: getattr(current, name) for name in changes}, changes)
        refreshed = await asset_queries.update_asset(
            tx, current.id, changes, bump_version=True, event=Event(
                "asset.updated", current.id,
                {"changes": diff, "reason": f"propagated from instance {prior.asset.id}",
                 "version": current.version + 1}))
    sync = _inherited_sync(prior)
    edge = await sync_queries.set_edge_metadata(tx, link.variant_edge.id, {
        **link.variant_edge.metadata,
        **sync_metadata(source_version=sync["source_version"], synced_at=now_iso(),
                        overridden=sync["overridden"], base=sync["base"] or {})})
    await sync_queries.set_edge_metadata(tx, link.inherited_edge.id, {
        **link.inherited_edge.metadata, **_inheritance_marks(prior.asset, refreshed)})
    return refreshed, edge


async def set_carry_forward(tx: Transaction, asset_id: UUID, carry_forward: bool
                            ) -> AssetRecord:
    """Whether the next scene inherits this instance's state or resets it."""
    asset = await get_live_asset_for_update(tx, asset_id)
    if INSTANCE_FLAG not in asset.metadata:
        raise DomainError.of(ErrorCode.INVALID, f"{asset.name!r} is not a scene instance", "id")
    return await update_asset(tx, asset_id, {"metadata": {**asset.metadata,
                                                          INSTANCE_FLAG: carry_forward}})
