"""Graph use cases: link, unlink, reorder. They never commit.

Within one relationship type the graph stays acyclic. The check and the insert run under a
per-workspace transaction advisory lock, so two concurrent links cannot each pass the check
and together close a cycle.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.assets.queries import get_assets
from domain.branches.rules import FORK_MARK
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail, not_found
from domain.events import record_event
from domain.graph import queries
from domain.graph.vocabulary import RelationshipType
from domain.ids import lock_key, uuid7s
from domain.records import RelationshipRecord
from domain.rules import json_object_errors, raise_if
from domain.sync.rules import SYNC_KEYS

SEQUENCE_MAX = 1_000_000_000


@dataclass(frozen=True)
class NewEdge:
    parent_id: UUID
    child_id: UUID
    relationship_type: RelationshipType
    sequence: int | None = None  # None: after the parent's last child of this type
    metadata: dict[str, Any] | None = None


def _input_errors(edge: NewEdge) -> list[ErrorDetail]:
    errors = []
    if edge.sequence is not None and not 0 <= edge.sequence <= SEQUENCE_MAX:
        errors.append(ErrorDetail(ErrorCode.INVALID,
                                  f"sequence must be between 0 and {SEQUENCE_MAX}", "sequence"))
    if edge.metadata is not None:
        errors += json_object_errors(edge.metadata, "metadata")
        errors += [ErrorDetail(ErrorCode.INVALID, f"{key!r} is sync state: only clone, promote "
                               "and scene inheritance write it", f"metadata.{key}")
                   for key in SYNC_KEYS if key in edge.metadata]
        if FORK_MARK in edge.metadata:
            errors.append(ErrorDetail(ErrorCode.INVALID, f"{FORK_MARK!r} marks fork provenance: "
                                      "only forkProject writes it", f"metadata.{FORK_MARK}"))
    return errors


def _refusal(edge: NewEdge, check: queries.LinkCheck, errors: list[ErrorDetail],
             seen: set[tuple[UUID, UUID, RelationshipType]]) -> DomainError | None:
    """Why this link may not be made, or None."""
    for name, field in ((check.parent_name, "parentId"), (check.child_name, "childId")):
        if name is None:
            errors.append(ErrorDetail(ErrorCode.NOT_FOUND, "asset not found", field))
    if errors:
        return DomainError(*errors)
    key = (edge.parent_id, edge.child_id, edge.relationship_type)
    if edge.parent_id == edge.child_id:
        return DomainError.of(ErrorCode.CYCLE, "an asset cannot be linked to itself", "childId")
    if check.linked or key in seen:
        return DomainError.of(ErrorCode.CONFLICT, "these assets are already linked as "
                              f"{edge.relationship_type}", "childId")
    if check.closes_cycle:
        return DomainError.of(
            ErrorCode.CYCLE,
            f"{check.child_name!r} is already an ancestor of {check.parent_name!r} "
            f"through {edge.relationship_type}; this link would close a cycle",
            "childId",
        )
    seen.add(key)
    return None


async def link_assets_many(tx: Transaction, edges: Sequence[NewEdge]
                           ) -> list[RelationshipRecord]:
    """Link many pairs of live assets, each checked as `link_assets` checks one (the first
    refused refuses them all, with its error; a pair listed twice is CONFLICT; a cycle counts
    the batch's other links), in three statements: the graph lock, one check of all, one
    insert with their events. The edges, in the order given."""
    if not edges:
        return []
    errors = [_input_errors(edge) for edge in edges]
    await queries.lock_graph(tx, lock_key(tx.ws, "graph"))
    checks = await queries.link_checks(
        tx, [(e.parent_id, e.child_id, e.relationship_type) for e in edges])
    seen: set[tuple[UUID, UUID, RelationshipType]] = set()
    for edge, check, found in zip(edges, checks, errors, strict=True):
        refusal = _refusal(edge, check, found, seen)
        if refusal is not None:
            raise refusal
    return await add_edges(tx, edges)


async def link_new_children(tx: Transaction, edges: Sequence[NewEdge]
                            ) -> list[RelationshipRecord]:
    """Link children made in this transaction (each edge's input checked as
    `link_assets_many` checks it; the first refused refuses them all) in one statement. A
    child with no edge yet cannot close a cycle nor be linked already, so neither the graph
    lock nor the graph check: two transactions making their own new assets (imported
    projects) do not wait for each other. The edges, in the order given."""
    for edge in edges:
        raise_if(_input_errors(edge))
    return await add_edges(tx, edges)


async def link_assets(
    tx: Transaction,
    *,
    parent_id: UUID,
    child_id: UUID,
    relationship_type: RelationshipType,
    sequence: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> RelationshipRecord:
    """One link (`link_assets_many`)."""
    return (await link_assets_many(tx, [NewEdge(parent_id, child_id, relationship_type,
                                                 sequence, metadata)]))[0]


async def add_edge(
    tx: Transaction, *, parent_id: UUID, child_id: UUID, relationship_type: RelationshipType,
    sequence: int | None = None, metadata: dict[str, Any] | None = None,
) -> RelationshipRecord:
    """Insert an edge and its event (`add_edges`). Checks nothing: callers either validated
    it (`link_assets`) or link a child they just created, which cannot close a cycle."""
    return (await add_edges(tx, [NewEdge(parent_id, child_id, relationship_type, sequence,
                                         metadata)]))[0]


async def add_edges(tx: Transaction, edges: Sequence[NewEdge]) -> list[RelationshipRecord]:
    """Insert many edges, each with the `asset.linked` event `add_edge` writes, in one
    statement (a None sequence: after the parent's last child of that type, several in their
    given order). Checks nothing, as `add_edge`. The edges, in the order given."""
    if not edges:
        return []
    values = [_edge_values(edge, edge_id)
              for edge, edge_id in zip(edges, uuid7s(len(edges)), strict=True)]
    return await queries.insert_edges(tx, values)


def _edge_values(edge: NewEdge, edge_id: UUID) -> dict[str, Any]:
    return {"id": edge_id, "parent_asset_id": edge.parent_id, "child_asset_id": edge.child_id,
            "relationship_type": edge.relationship_type, "sequence": edge.sequence,
            "metadata": edge.metadata or {}}


def edge_payload(relationship: RelationshipRecord) -> dict[str, Any]:
    """The payload of `asset.linked` and `asset.unlinked` (`queries.INSERT_EDGES` builds the
    same in SQL)."""
    return {"relationship_id": relationship.id, "type": relationship.relationship_type,
            "parent_id": relationship.parent_asset_id, "child_id": relationship.child_asset_id,
            "sequence": relationship.sequence}


async def unlink_assets(tx: Transaction, relationship_id: UUID) -> RelationshipRecord:
    relationship = await queries.delete_edge(tx, relationship_id)
    if relationship is None:
        raise not_found("relationship")
    await record_event(
        tx, "asset.unlinked", relationship.child_asset_id, edge_payload(relationship)
    )
    return relationship


async def reorder_children(
    tx: Transaction, *, parent_id: UUID, relationship_type: RelationshipType,
    child_ids: list[UUID],
) -> None:
    """The listed children take sequences 1..n in the given order; the rest follow in theirs."""
    parent = (await get_assets(tx, [parent_id])).get(parent_id)
    if parent is None or parent.deleted_at is not None:
        raise not_found("asset", "parentId")
    if len(set(child_ids)) != len(child_ids):
        raise DomainError.of(ErrorCode.INVALID, "childIds lists a child twice", "childIds")
    edges = await queries.children_edges(tx, parent_id, relationship_type)
    by_child = {edge.child_asset_id: edge for edge in edges}
    strangers = [child for child in child_ids if child not in by_child]
    if strangers:
        raise DomainError.of(
            ErrorCode.NOT_FOUND,
            f"{len(strangers)} of childIds are not {relationship_type} children of this asset",
            "childIds",
        )
    listed = set(child_ids)
    ordered = [by_child[c] for c in child_ids] + [
        e for e in edges if e.child_asset_id not in listed
    ]
    await queries.set_sequences(
        tx,
        {edge.id: position for position, edge in enumerate(ordered, start=1)
         if edge.sequence != position},
    )
    await record_event(
        tx,
        "asset.children_reordered",
        parent_id,
        {"type": relationship_type, "child_ids": [e.child_asset_id for e in ordered]},
    )
