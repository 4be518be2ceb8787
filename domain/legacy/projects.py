"""A legacy project: each branch a `project` collection with its film, scenes `PART_OF` the
film (sequence = scene number) and shots `PART_OF` their scene; then its project assets
(`domain.legacy.project_assets`), scene asset instances (`domain.legacy.instances`) and jobs
(`domain.legacy.jobs`).

Branches: the project's main branch (`is_main`; else its active branch; else its oldest) is
the project's root collection; every other branch is a collection of its own built from that
branch's own rows, `branch_of` the root; the root's `active_branch_id` names the active
branch's collection when that is not the root (`set_branch`). Everything goes through the
domain's use cases in the caller's transaction, which it never commits; each table's new
rows through their many-row forms, so a project costs a fixed number of statements however
many rows it has (tests/legacy/test_statement_counts.py).
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.assets.use_cases import create_assets, get_live_asset_for_update
from domain.collections import queries as collection_queries
from domain.collections.use_cases import (
    Membership,
    add_many_to_collection,
    add_to_collection,
    create_collection,
    update_collection,
)
from domain.db import Transaction
from domain.errors import not_found
from domain.events import record_event
from domain.graph import queries as graph_queries
from domain.graph.use_cases import NewEdge, link_new_children
from domain.graph.vocabulary import RelationshipType
from domain.legacy import queries
from domain.legacy.files import UnitFiles
from domain.legacy.instances import import_instances
from domain.legacy.jobs import import_jobs
from domain.legacy.keys import LEGACY, legacy_pattern
from domain.legacy.mapping import clean_name, digest, scene_metadata, shot_metadata
from domain.legacy.project_assets import import_project_assets
from domain.legacy.queries import Stamp
from domain.legacy.report import Outcome, ProblemKind, Report
from domain.legacy.rows import Branch, Project, ProjectRows, Scene, Shot
from domain.legacy.unit import Unit, Wanted, upsert, upsert_many
from domain.records import AssetRecord, CollectionRecord

SCENE_KEYS = ("script_excerpt", "end_state_summary", "status", "continuity_risk",
              "end_frame_thumbnail", "shot_list_locked_at")
SHOT_KEYS = ("sequence", "duration", "camera_angle", "dialogue")


@dataclass(frozen=True)
class Cut:
    """A branch as imported: its collection and its film."""

    branch: Branch
    collection: CollectionRecord
    film: AssetRecord


def root_branch(project: Project, branches: list[Branch]) -> Branch:
    """The branch the project's root collection is built from: the main branch, else the
    active one, else the oldest (`branches` are oldest first)."""
    return next((b for b in branches if b.is_main),
                next((b for b in branches if b.id == project.active_branch_id), branches[0]))


async def import_project(tx: Transaction, rows: ProjectRows, files: UnitFiles,
                         report: Report) -> None:
    for table, count in rows.rows_read().items():
        report.read(table, count)
    unit = Unit(tx, report, files)
    imported = {c.metadata[LEGACY]["id"]: c for c in await queries.collections_with(
        tx, legacy_pattern(project_id=str(rows.project.id)))}
    unit.remember(await queries.imported_into(tx, [c.id for c in imported.values()]))
    await files.load_held(tx)
    if not rows.branches:
        report.skip(ProblemKind.ORPHAN, Project.table, rows.project.id,
                    "the project has no branch: nothing to import")
        for row in (*rows.assets, *rows.instances, *rows.jobs):
            report.skip(ProblemKind.PARENT_SKIPPED, row.table, row.id,
                        f"its project {rows.project.id} has no branch")
        return
    root = root_branch(rows.project, rows.branches)
    cuts = {root.id: await _cut(unit, rows.project, root, imported.get(str(root.id)),
                                root=True)}
    for branch in rows.branches:
        if branch.id != root.id:
            cuts[branch.id] = await _cut(unit, rows.project, branch,
                                         imported.get(str(branch.id)), root=False)
    scenes = await _scenes(unit, rows.project, rows.scenes, cuts)
    await _shots(unit, rows.project, rows.shots, scenes)
    assets = await import_project_assets(unit, rows, {b: c.collection for b, c in cuts.items()})
    instances = await import_instances(unit, rows, scenes, assets)
    await import_jobs(unit, rows, films={b: c.film for b, c in cuts.items()}, scenes=scenes,
                      assets=assets, instances=instances, shots=_shots_of(unit, rows))
    active = cuts.get(rows.project.active_branch_id) if rows.project.active_branch_id else None
    for cut in cuts.values():
        if cut.branch.id == root.id:
            await set_branch(tx, cut.collection.id, branch_of=None, active_branch_id=(
                active.collection.id if active is not None and active is not cut else None))
        else:
            await set_branch(tx, cut.collection.id, branch_of=cuts[root.id].collection.id,
                             active_branch_id=None)
    await unit.flush()


def _shots_of(unit: Unit, rows: ProjectRows) -> dict[UUID, AssetRecord]:
    return {shot.id: found for shot in rows.shots if (found := unit.found(shot)) is not None}


# -- branches --------------------------------------------------------------------------------

async def _cut(unit: Unit, project: Project, branch: Branch, found: CollectionRecord | None, *,
               root: bool) -> Cut:
    """The branch's collection (`found`, when an earlier run made it; counted under
    `branches`, and the root's under `projects` too) and its film."""
    title, _ = clean_name(project.name, "Untitled project")
    name, _ = clean_name(title if root else f"{title} ({branch.name})", title)
    wanted_digest = digest(branch, project.name, root)
    legacy = {"table": Branch.table, "id": str(branch.id), "project_id": str(project.id),
              "is_main": branch.is_main, "name": branch.name,
              "parent_branch_id": (str(branch.parent_branch_id) if branch.parent_branch_id
                                   else None),
              "digest": wanted_digest}
    if found is None:
        collection = await create_collection(unit.tx, name=name, type="project",
                                             description="Imported from the legacy app",
                                             metadata={LEGACY: legacy})
        unit.collection_stamps.append(Stamp(collection.id, branch.created_at, branch.updated_at))
        outcome = Outcome.CREATED
    elif found.metadata.get(LEGACY, {}).get("digest") == wanted_digest:
        collection, outcome = found, Outcome.UNCHANGED
    else:
        collection = await update_collection(unit.tx, found.id, {
            "name": name, "metadata": {**found.metadata, LEGACY: legacy}})
        outcome = Outcome.UPDATED
    unit.report.count(Branch.table, outcome)
    if root:
        unit.report.count(Project.table, outcome)
    wanted = Wanted(branch, "film", name, wanted_digest, {"project_id": str(project.id)},
                    created_at=branch.created_at, updated_at=branch.updated_at)
    film, made = await upsert(unit, wanted, unit.found(branch), count=False)
    if made == Outcome.CREATED:
        await add_to_collection(unit.tx, collection_id=collection.id, asset_id=film.id)
    return Cut(branch, collection, film)


async def set_branch(tx: Transaction, collection_id: UUID, *, branch_of: UUID | None,
                     active_branch_id: UUID | None) -> CollectionRecord:
    """Which project a collection is a branch of, and a project's active branch (the
    columns of migration 0006), with a `collection.updated` event when either changes."""
    collection = await collection_queries.get_collection_for_update(tx, collection_id)
    if collection is None:
        raise not_found("collection", "collectionId")
    changes: dict[str, Any] = {"branch_of": branch_of, "active_branch_id": active_branch_id}
    diff = {name: {"before": getattr(collection, name), "after": value}
            for name, value in changes.items() if getattr(collection, name) != value}
    if not diff:
        return collection
    updated = await collection_queries.update_collection(tx, collection_id, changes)
    await record_event(tx, "collection.updated", collection_id, {"changes": diff})
    return updated


# -- scenes and shots --------------------------------------------------------------------------

def _scene_wanted(unit: Unit, project: Project, scene: Scene) -> Wanted:
    name, corrected = clean_name(scene.slug, f"Scene {scene.scene_number}")
    if corrected:
        unit.report.problem(ProblemKind.INVALID_VALUE, scene.table, scene.id, corrected)
    return Wanted(scene, "scene", name, digest(scene),
                  {"project_id": str(project.id), "branch_id": str(scene.branch_id)},
                  metadata=scene_metadata(scene), owned=SCENE_KEYS,
                  created_at=scene.created_at, updated_at=scene.updated_at)


async def _scenes(unit: Unit, project: Project, scenes: list[Scene], cuts: dict[UUID, Cut]
                  ) -> dict[UUID, AssetRecord]:
    """The scenes by legacy id; new ones made at once, `PART_OF` their film with sequence =
    scene number, members of their branch's collection."""
    by_id = {scene.id: scene for scene in scenes}

    async def create(wanted: list[Wanted]) -> list[AssetRecord]:
        made = await create_assets(unit.tx, [w.new_asset() for w in wanted])
        rows = [by_id[w.row.id] for w in wanted]
        await link_new_children(unit.tx, [
            NewEdge(cuts[row.branch_id].film.id, asset.id, RelationshipType.PART_OF,
                    row.scene_number) for row, asset in zip(rows, made, strict=True)])
        for cut in cuts.values():
            members = [Membership(asset.id) for row, asset in zip(rows, made, strict=True)
                       if row.branch_id == cut.branch.id]
            if members:
                await add_many_to_collection(unit.tx, collection_id=cut.collection.id,
                                             members=members)
        return made

    done = await upsert_many(unit, [(_scene_wanted(unit, project, scene), unit.found(scene))
                                    for scene in scenes], create=create)
    for scene, (asset, outcome) in zip(scenes, done, strict=True):
        if outcome == Outcome.UPDATED:
            await _renumber(unit, cuts[scene.branch_id].film.id, asset.id, scene.scene_number)
    return {scene.id: asset for scene, (asset, _) in zip(scenes, done, strict=True)}


def _shot_wanted(unit: Unit, project: Project, shot: Shot) -> Wanted:
    name, corrected = clean_name(shot.shot_id, f"Shot {shot.shot_order}")
    if corrected:
        unit.report.problem(ProblemKind.INVALID_VALUE, shot.table, shot.id, corrected)
    return Wanted(shot, "shot", name, digest(shot), {"project_id": str(project.id)},
                  description=shot.action or "", metadata=shot_metadata(shot),
                  owned=SHOT_KEYS, created_at=shot.created_at, updated_at=shot.updated_at)


async def _shots(unit: Unit, project: Project, shots: list[Shot],
                 scenes: dict[UUID, AssetRecord]) -> None:
    """The shots; new ones made at once, `PART_OF` their scene with sequence = shot order."""
    by_id = {shot.id: shot for shot in shots}

    async def create(wanted: list[Wanted]) -> list[AssetRecord]:
        made = await create_assets(unit.tx, [w.new_asset() for w in wanted])
        rows = [by_id[w.row.id] for w in wanted]
        await link_new_children(unit.tx, [
            NewEdge(scenes[row.scene_id].id, asset.id, RelationshipType.PART_OF, row.shot_order)
            for row, asset in zip(rows, made, strict=True)])
        return made

    done = await upsert_many(unit, [(_shot_wanted(unit, project, shot), unit.found(shot))
                                    for shot in shots], create=create)
    for shot, (asset, outcome) in zip(shots, done, strict=True):
        if outcome == Outcome.UPDATED:
            await _renumber(unit, scenes[shot.scene_id].id, asset.id, shot.shot_order)


async def _renumber(unit: Unit, parent_id: UUID, child_id: UUID, sequence: int) -> None:
    """A changed scene number (shot order) moves the PART_OF edge's sequence."""
    edge = await graph_queries.find_edge(unit.tx, parent_id=parent_id, child_id=child_id,
                                         relationship_type=RelationshipType.PART_OF)
    if edge is None or edge.sequence == sequence:
        return
    await get_live_asset_for_update(unit.tx, parent_id)
    await graph_queries.set_sequences(unit.tx, {edge.id: sequence})
    await record_event(unit.tx, "asset.children_reordered", parent_id, {
        "type": RelationshipType.PART_OF, "child_ids": [child_id]})
