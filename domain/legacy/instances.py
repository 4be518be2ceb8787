"""A legacy project's scene asset instances: the new ones made at once by `add_scene_assets`
(the scene authoring use case: `VARIANT_OF` the project asset, `USED_IN` the scene, its
description override, status tags and carry-forward), an instance's own image then an edit
by `update_asset`, their legacy identity stamped with the unit's (`Unit.flush`); then each
`DERIVED_FROM` the instance it inherited from (`add_edges` for new instances, whose links
`plan` proved acyclic; `link_assets_many`, which refuses a cycle, for moved ones), with the
inheritance marks of docs/decisions.md.

Which legacy instances cannot be imported as they stand is decided first, by `plan`, a pure
function: orphans, instances of skipped project assets, duplicate (scene, project asset)
pairs, inheritance from an instance not imported, cycles in `inherited_from_instance_id`.
"""

from dataclasses import dataclass, field
from uuid import UUID

from domain.assets.use_cases import update_asset
from domain.assets.vocabulary import AssetSource
from domain.graph.use_cases import NewEdge, add_edges, link_assets_many, unlink_assets
from domain.graph.vocabulary import RelationshipType
from domain.legacy.files import StoredFile
from domain.legacy.keys import LEGACY
from domain.legacy.mapping import clean_tags, cycles, digest
from domain.legacy.report import Outcome, ProblemKind
from domain.legacy.rows import Instance, ProjectRows
from domain.legacy.unit import Create, Unit, Wanted, upsert_many
from domain.records import AssetRecord
from domain.scenes.queries import inherited_from
from domain.scenes.use_cases import NewSceneAsset, add_scene_assets
from domain.sync import queries as sync_queries
from domain.sync.rules import INSTANCE_FLAG, snapshot, sync_metadata
from domain.sync.use_cases import now_iso

INHERITED = RelationshipType.DERIVED_FROM


@dataclass(frozen=True)
class Plan:
    kept: list[Instance]
    prior: dict[UUID, UUID]  # instance -> the kept instance it inherited from (no cycle)
    problems: list[tuple[ProblemKind, UUID, str]] = field(default_factory=list)


def plan(rows: ProjectRows, imported_assets: set[UUID]) -> Plan:
    """Which instances are imported, and which inheritance links, with why not (pure)."""
    scenes = {s.id: s for s in rows.scenes}
    assets = {a.id: a for a in rows.assets}
    problems: list[tuple[ProblemKind, UUID, str]] = []
    kept: list[Instance] = []
    pairs: dict[tuple[UUID, UUID], UUID] = {}
    for instance in rows.instances:
        scene, asset = scenes.get(instance.scene_id), assets.get(instance.project_asset_id)
        pair = (instance.scene_id, instance.project_asset_id)
        if scene is None:
            problems.append((ProblemKind.ORPHAN, instance.id,
                             f"its scene {instance.scene_id} is gone"))
        elif asset is None:
            problems.append((ProblemKind.ORPHAN, instance.id,
                             f"its project asset {instance.project_asset_id} is gone"))
        elif asset.id not in imported_assets:
            problems.append((ProblemKind.PARENT_SKIPPED, instance.id,
                             f"its project asset {asset.id} was not imported"))
        elif scene.branch_id != asset.branch_id:
            problems.append((ProblemKind.MISSING_REFERENCE, instance.id,
                             f"its scene {scene.id} and its project asset {asset.id} are in "
                             "different branches"))
        elif pair in pairs:
            problems.append((ProblemKind.DUPLICATE_INSTANCE, instance.id,
                             f"scene {scene.id} already has instance {pairs[pair]} of project "
                             f"asset {asset.id}"))
        else:
            pairs[pair] = instance.id
            kept.append(instance)
    ids = {i.id for i in kept}
    parents: dict[UUID, UUID | None] = {}
    for instance in kept:
        source = instance.inherited_from_instance_id
        if source is not None and source not in ids:
            problems.append((ProblemKind.MISSING_REFERENCE, instance.id,
                             f"inherits from instance {source}, which was not imported: "
                             "imported without its DERIVED_FROM link"))
        elif source is not None:
            parents[instance.id] = source
    for cycle in cycles(parents):
        path = " -> ".join(str(i) for i in [*cycle, cycle[0]])
        for member in cycle:
            del parents[member]
            problems.append((ProblemKind.INHERITANCE_CYCLE, member,
                             f"inherited_from_instance_id goes round ({path}): imported "
                             "without its DERIVED_FROM link"))
    return Plan(kept, {child: p for child, p in parents.items() if p is not None}, problems)


def _file_of(asset: AssetRecord) -> StoredFile | None:
    if asset.blob_sha256 is None:
        return None
    return StoredFile(asset.blob_sha256, asset.size or 0,
                      asset.mime_type or "application/octet-stream")


def _version(instance: Instance) -> int:
    """An instance's legacy version: 1, plus one per legacy edit (modification_count)."""
    return 1 + max(0, instance.modification_count or 0)


async def import_instances(unit: Unit, rows: ProjectRows, scenes: dict[UUID, AssetRecord],
                           assets: dict[UUID, AssetRecord]
                           ) -> dict[tuple[UUID, UUID], AssetRecord]:
    """The imported instances by legacy (scene, project asset); the new ones made at once
    (`_create`)."""
    decided = plan(rows, set(assets))
    for kind, legacy_id, message in decided.problems:
        if kind in (ProblemKind.MISSING_REFERENCE, ProblemKind.INHERITANCE_CYCLE) and any(
                i.id == legacy_id for i in decided.kept):
            unit.report.problem(kind, Instance.table, legacy_id, message)
        else:
            unit.report.skip(kind, Instance.table, legacy_id, message)
    kept = [await _row(unit, rows.project.id, instance, scenes[instance.scene_id],
                       assets[instance.project_asset_id]) for instance in decided.kept]
    done = await upsert_many(unit, [(r.wanted, _current(unit, r)) for r in kept],
                             create=_create(unit, {r.row.id: r for r in kept}))
    made: dict[UUID, tuple[AssetRecord, Outcome]] = {}
    for r, (asset, outcome) in zip(kept, done, strict=True):
        if outcome == Outcome.UPDATED:
            await _resync(unit, asset, r.row, r.project_asset)
        made[r.row.id] = (asset, outcome)
    await _link_inheritance(unit, decided, made)
    return {(i.scene_id, i.project_asset_id): made[i.id][0] for i in decided.kept}


@dataclass(frozen=True)
class _Row:
    """A scene asset instance to import: what its asset should be, its scene, its project
    asset, its status tags as the graph takes them and its own file."""

    row: Instance
    wanted: Wanted
    scene: AssetRecord
    project_asset: AssetRecord
    tags: list[str]


async def _row(unit: Unit, project_id: UUID, row: Instance, scene: AssetRecord,
               project_asset: AssetRecord) -> _Row:
    tags, dropped = clean_tags(row.status_tags)
    if dropped:
        unit.report.problem(ProblemKind.INVALID_VALUE, row.table, row.id,
                            f"status tags left out (blank, longer than 64 characters or past "
                            f"100): {dropped}")
    carry_forward = row.carry_forward is not False
    own_file = await unit.file(row, row.image_key_url)
    wanted = Wanted(
        row, project_asset.type, project_asset.name,
        digest(row, own_file.sha256 if own_file else None, str(scene.id), str(project_asset.id)),
        {"project_id": str(project_id), "modification_count": row.modification_count,
         "last_modified_field": row.last_modified_field,
         "modification_reason": row.modification_reason,
         "inherited_from_instance_id": (str(row.inherited_from_instance_id)
                                        if row.inherited_from_instance_id else None)},
        description=(project_asset.description if row.description_override is None
                     else row.description_override),
        url=row.image_key_url if row.image_key_url is not None else project_asset.url,
        file=own_file if row.image_key_url is not None else _file_of(project_asset),
        metadata={INSTANCE_FLAG: carry_forward}, tags=tags, source=AssetSource.DERIVATIVE,
        version=_version(row), created_at=row.created_at, updated_at=row.updated_at)
    return _Row(row, wanted, scene, project_asset, tags)


def _current(unit: Unit, r: _Row) -> AssetRecord | None:
    """The instance an earlier run made of the row: by its legacy id, else by its (scene,
    project asset) pair."""
    current = unit.found(r.row)
    if current is None or (current.scene_id, current.instance_of) != (r.scene.id,
                                                                     r.project_asset.id):
        current = unit.live_instances.get((r.scene.id, r.project_asset.id))
    return current


def _create(unit: Unit, rows: dict[UUID, _Row]) -> Create:
    """New instances at once, by `add_scene_assets` (the description override recorded as
    an override, status tags, carry-forward, the legacy identity, times and version); an
    instance's own image is then an edit of it (an override of url and file), stamped with
    the legacy version and time after."""
    async def create(wanted: list[Wanted]) -> list[AssetRecord]:
        new = [rows[w.row.id] for w in wanted]
        added = await add_scene_assets(unit.tx, [NewSceneAsset(
            scene_id=r.scene.id, project_asset_id=r.project_asset.id,
            description_override=r.row.description_override, status_tags=r.tags,
            carry_forward=r.row.carry_forward is not False,
            own_metadata={LEGACY: w.full_metadata[LEGACY]}, imported=w.imported)
            for r, w in zip(new, wanted, strict=True)])
        made = []
        for r, w, a in zip(new, wanted, added, strict=True):
            if r.row.image_key_url is None:
                made.append(a.instance)
                continue
            image = w.new_asset()
            made.append(await update_asset(unit.tx, a.instance.id, {
                "url": image.url, "blob_sha256": image.blob_sha256,
                "mime_type": image.mime_type, "size": image.size}))
        return made
    return create


async def _resync(unit: Unit, asset: AssetRecord, row: Instance, project_asset: AssetRecord
                  ) -> None:
    """After an update, the VARIANT_OF edge overrides what the legacy row overrides: its
    description when it has an override, its image when it has its own."""
    sync = await sync_queries.sync_source_for_update(unit.tx, asset.id)
    if sync is None:
        return
    mine, theirs = (snapshot(asset, RelationshipType.VARIANT_OF),
                    snapshot(project_asset, RelationshipType.VARIANT_OF))
    overridden = [f for f in ("description", "url", "file") if mine.get(f) != theirs.get(f)
                  and (f != "description" or row.description_override is not None)]
    await sync_queries.set_edge_metadata(unit.tx, sync.edge.id, {
        **sync.edge.metadata,
        **sync_metadata(source_version=project_asset.version, synced_at=now_iso(),
                        overridden=overridden, base=theirs)})


async def _link_inheritance(unit: Unit, decided: Plan,
                            made: dict[UUID, tuple[AssetRecord, Outcome]]) -> None:
    """DERIVED_FROM from the instance each one inherited from: for the instances made now
    (at once), and for the updated ones whose source changed (their old link goes)."""
    rows = {i.id: i for i in decided.kept}
    updated = [made[i.id][0].id for i in decided.kept if made[i.id][1] == Outcome.UPDATED]
    links = await inherited_from(unit.tx, updated) if updated else {}
    children: dict[UUID, int] = {}
    new: list[NewEdge] = []
    moved: list[NewEdge] = []
    for instance in decided.kept:
        asset, outcome = made[instance.id]
        if outcome not in (Outcome.CREATED, Outcome.UPDATED):
            continue
        prior_id = decided.prior.get(instance.id)
        prior = made[prior_id][0] if prior_id is not None else None
        current = links.get(asset.id)
        if current is not None and prior is not None and current.instance.id == prior.id:
            continue
        if current is not None:
            await unlink_assets(unit.tx, current.edge.id)
        if prior is None or prior_id is None:
            continue
        if prior.deleted_at is not None:
            unit.report.problem(ProblemKind.MISSING_REFERENCE, instance.table, instance.id,
                                f"inherits from an instance deleted in Asset Graph ({prior.id})"
                                ": imported without its DERIVED_FROM link")
            continue
        marks = {"from_version": _final_version(rows[prior_id], *made[prior_id]),
                 "instance_version": 1}
        if outcome == Outcome.CREATED:
            children[prior.id] = children.get(prior.id, 0) + 1
            new.append(NewEdge(prior.id, asset.id, INHERITED, children[prior.id], marks))
        else:
            moved.append(NewEdge(prior.id, asset.id, INHERITED, metadata=marks))
    # A new instance's only DERIVED_FROM links are the plan's, which `plan` proved acyclic:
    # `add_edges`, as scene inheritance links them, without the graph check.
    await add_edges(unit.tx, new)
    if moved:
        await link_assets_many(unit.tx, moved)


def _final_version(row: Instance, asset: AssetRecord, outcome: Outcome) -> int:
    """The version an instance has once the unit's stamps are written (`Unit.flush`)."""
    if outcome == Outcome.CREATED:
        return _version(row)
    if outcome == Outcome.UPDATED:
        return max(asset.version, _version(row))
    return asset.version
