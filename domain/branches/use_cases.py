"""Fork a project, choose its active branch. They never commit.

`fork_project` copies what a project holds (see `queries.fork_sources`) into a new project
collection that is a branch of it: each asset by `copy_asset` (its `asset.created` event
naming the original), then every edge at once by `add_edges` (an `asset.linked` event each),
then the memberships. Statements: a fixed few plus one per copied asset.

A copy keeps its original's version, lock, source and generation metadata, so the
version-based marks it carries over verbatim mean in the branch what they meant in the
project: a sync edge's `source_version` (outdated or not), an inheritance edge's
`from_version` and `instance_version` (stale or not, edited or not). Files are
content-addressed: a copy shares its original's blob.
"""

from dataclasses import dataclass
from uuid import UUID

from domain.assets.use_cases import copy_asset
from domain.branches import queries
from domain.branches.queries import ForkSources, Original
from domain.branches.rules import fork_provenance
from domain.collections import queries as collection_queries
from domain.collections.queries import NewMember
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, not_found
from domain.events import Event, record_event
from domain.graph.use_cases import NewEdge, add_edges
from domain.graph.vocabulary import RelationshipType
from domain.ids import uuid7
from domain.records import AssetRecord, CollectionRecord, RelationshipRecord
from domain.rules import name_errors, raise_if


@dataclass(frozen=True)
class Fork:
    project: CollectionRecord  # the new branch
    copies: dict[UUID, AssetRecord]  # original asset id -> its copy in the branch

    @property
    def copied(self) -> int:
        return len(self.copies)


async def _project_for_update(tx: Transaction, project_id: UUID) -> CollectionRecord:
    project = await collection_queries.get_collection_for_update(tx, project_id)
    if project is None:
        raise not_found("project", "projectId")
    if project.type != "project":
        raise DomainError.of(ErrorCode.INVALID, f"collection {project.name!r} is a "
                             f"{project.type}, not a project", "projectId")
    return project


async def fork_project(tx: Transaction, project_id: UUID, name: str) -> Fork:
    """A new project named `name`, a branch of `project_id` holding a copy of everything the
    project holds (its members, their parts, its scenes' instances), each copy DERIVED_FROM
    its original as provenance, and the edges among them reproduced."""
    raise_if(name_errors(name))
    project = await _project_for_update(tx, project_id)
    sources = await queries.fork_sources(tx, project_id)
    branch_id = uuid7()
    copies: dict[UUID, AssetRecord] = {}
    # Scenes and project assets first: an instance's copy points at their copies.
    for original in sorted(sources.originals, key=lambda o: o.asset.scene_id is not None):
        copies[original.asset.id] = await _copy(tx, original.asset, copies, branch_id)
    branch = await collection_queries.insert_collection(tx, {
        "id": branch_id, "name": name, "type": "project", "description": project.description,
        "metadata": project.metadata, "branch_of": project.id,
        "style_id": _copied_id(copies, project.style_id),
        "style_required": project.style_required,
    }, event=Event("collection.created", branch_id, {"name": name, "type": "project"}))
    await add_edges(tx, _edges(sources, copies))
    await collection_queries.insert_members(tx, branch_id, [
        NewMember(copies[o.asset.id].id, o.member_sequence, o.member_metadata or {})
        for o in sources.originals if o.member_sequence is not None])
    await record_event(tx, "collection.forked", branch_id, {
        "branch_of": project.id, "name": name, "copied": len(copies),
        "copies": {str(original): str(copy.id) for original, copy in copies.items()}})
    return Fork(branch, copies)


def _copied_id(copies: dict[UUID, AssetRecord], asset_id: UUID | None) -> UUID | None:
    return copies[asset_id].id if asset_id in copies else asset_id


async def _copy(tx: Transaction, original: AssetRecord, copies: dict[UUID, AssetRecord],
                branch_id: UUID) -> AssetRecord:
    return await copy_asset(
        tx, original, source=original.source,
        provenance={"forked_from": original.id, "project_id": branch_id},
        version=original.version, locked=original.locked,
        generation_metadata=original.generation_metadata, deleted_at=original.deleted_at,
        scene_id=_copied_id(copies, original.scene_id),
        instance_of=_copied_id(copies, original.instance_of))


def _edges(sources: ForkSources, copies: dict[UUID, AssetRecord]) -> list[NewEdge]:
    """Each found edge between the copies of its ends (an end not copied stays itself), then
    each copy's provenance edge to its original."""
    reproduced = [_reproduced(edge, copies) for edge in sources.edges]
    provenance = [NewEdge(original, copy.id, RelationshipType.DERIVED_FROM,
                          metadata=fork_provenance())
                  for original, copy in copies.items()]
    return reproduced + provenance


def _reproduced(edge: RelationshipRecord, copies: dict[UUID, AssetRecord]) -> NewEdge:
    parent, child = edge.parent_asset_id, edge.child_asset_id
    # A copy that joins a parent the fork leaves alone comes after that parent's children.
    sequence = edge.sequence if parent in copies else None
    return NewEdge(copies[parent].id if parent in copies else parent,
                   copies[child].id if child in copies else child,
                   edge.relationship_type, sequence, dict(edge.metadata))


async def set_active_branch(tx: Transaction, project_id: UUID, branch_id: UUID
                            ) -> CollectionRecord:
    """Name the project's active branch: the project itself (stored as none) or a branch of
    it, a fork of one of its branches included."""
    project = await _project_for_update(tx, project_id)
    active = None if branch_id == project_id else branch_id
    if active is not None:
        check = await queries.branch_check(tx, project_id=project_id, branch_id=active)
        if not check.exists:
            raise not_found("branch", "branchId")
        if not check.descends:
            raise DomainError.of(ErrorCode.INVALID, f"that collection is not a branch of "
                                 f"{project.name!r}", "branchId")
    if project.active_branch_id == active:
        return project
    updated = await collection_queries.update_collection(tx, project_id,
                                                         {"active_branch_id": active})
    await record_event(tx, "collection.updated", project_id, {"changes": {"active_branch_id": {
        "before": project.active_branch_id, "after": active}}})
    return updated


__all__ = ["Fork", "Original", "fork_project", "set_active_branch"]
