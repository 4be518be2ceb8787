"""SQL over `asset_relationships`: edge pages, lineage walks, cycle checks.

Reads take many owners at once (one statement per dataloader batch) and never show an edge
whose other end is soft-deleted.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import distinct_on

from domain.db import Transaction
from domain.events import EVENTS_CHANNEL, NOTICES, json_text
from domain.graph.vocabulary import EdgeDirection, LineageDirection, RelationshipType
from domain.pages import pages_by_owner
from domain.records import AssetRecord, Key, KeyShape, Page, RelationshipRecord, labelled
from domain.tables import asset_relationships as rel
from domain.tables import assets

EDGE_KEY: KeyShape = (int, UUID)
"""Children resume after (sequence, id); parents, in link order, after (0, id)."""


async def get_relationships(
    tx: Transaction, ids: Sequence[UUID]
) -> dict[UUID, RelationshipRecord]:
    rows = await tx.execute(select(rel).where(rel.c.workspace_id == tx.ws, rel.c.id.in_(ids)))
    return {row.id: RelationshipRecord.from_row(row) for row in rows}


async def edge_pages(
    tx: Transaction,
    owner_ids: Sequence[UUID],
    *,
    direction: EdgeDirection,
    types: Sequence[RelationshipType] | None,
    first: int,
    after: Key | None,
) -> dict[UUID, Page[RelationshipRecord]]:
    """Children (by `sequence`) or parents (by link order) of many assets in one statement.

    Each owner gets its page of `first` edges after the keyset `after`, and its total.
    """
    owner, other = (
        (rel.c.parent_asset_id, rel.c.child_asset_id)
        if direction == EdgeDirection.CHILDREN
        else (rel.c.child_asset_id, rel.c.parent_asset_id)
    )
    edges = (
        select(rel, owner.label("owner"))
        .join(
            assets,
            and_(
                assets.c.workspace_id == rel.c.workspace_id,
                assets.c.id == other,
                assets.c.deleted_at.is_(None),
            ),
        )
        .where(
            rel.c.workspace_id == tx.ws,
            owner.in_(owner_ids),
            rel.c.relationship_type.in_(types if types is not None else list(RelationshipType)),
        )
        .cte("edges")
    )
    children = direction == EdgeDirection.CHILDREN
    key = (edges.c.sequence if children else literal_column("0"), edges.c.id)
    return await pages_by_owner(
        tx, edges, owner="owner", key=key, owners=owner_ids, first=first, after=after,
        record=RelationshipRecord.from_row,
        record_key=lambda edge: (edge.sequence if children else 0, edge.id))


@dataclass(frozen=True)
class LineageStep:
    depth: int
    asset: AssetRecord
    relationship: RelationshipRecord


@dataclass(frozen=True)
class Lineage:
    steps: list[LineageStep]
    is_partial: bool


async def lineages(
    tx: Transaction,
    root_ids: Sequence[UUID],
    *,
    direction: LineageDirection,
    types: Sequence[RelationshipType] | None,
    max_depth: int,
    first: int,
) -> dict[UUID, Lineage]:
    """Ancestors (UPSTREAM: towards parents) or descendants of many roots in one statement.

    One recursive CTE walks from every root of the batch. Its UNION keeps one row per
    (root, node, depth, edge), so diamonds cannot multiply rows; each node is then kept at its
    shortest depth. It walks one level past `max_depth` only to learn whether the depth cut
    something off. Soft-deleted assets stop the walk.
    """
    edge_types = list(types if types is not None else RelationshipType)
    upstream = direction == LineageDirection.UPSTREAM

    def ends(edge: Any) -> tuple[Any, Any]:
        c = edge.c
        return (c.child_asset_id, c.parent_asset_id) if upstream else (
            c.parent_asset_id, c.child_asset_id)

    def live(far: Any, alias: Any) -> Any:
        return and_(alias.c.workspace_id == tx.ws, alias.c.id == far, alias.c.deleted_at.is_(None))

    first_edge, first_asset = rel.alias("e0"), assets.alias("a0")
    near, far = ends(first_edge)
    walk = (
        select(near.label("root"), far.label("node"), literal(1).label("depth"),
               first_edge.c.id.label("edge"))
        .join(first_asset, live(far, first_asset))
        .where(first_edge.c.workspace_id == tx.ws, near.in_(root_ids),
               first_edge.c.relationship_type.in_(edge_types))
        .cte("walk", recursive=True)
    )
    edge, asset = rel.alias("e1"), assets.alias("a1")
    near, far = ends(edge)
    walk = walk.union(
        select(walk.c.root, far, walk.c.depth + 1, edge.c.id)
        .join(edge, and_(edge.c.workspace_id == tx.ws, near == walk.c.node,
                         edge.c.relationship_type.in_(edge_types)))
        .join(asset, live(far, asset))
        .where(walk.c.depth <= max_depth)
    )
    nearest = (
        select(walk)
        .where(walk.c.node != walk.c.root)
        .ext(distinct_on(walk.c.root, walk.c.node))
        .order_by(walk.c.root, walk.c.node, walk.c.depth, walk.c.edge)
        .cte("nearest")
    )
    ranked = select(
        nearest,
        func.row_number()
        .over(partition_by=nearest.c.root, order_by=(nearest.c.depth, nearest.c.node))
        .label("rn"),
        func.bool_or(nearest.c.depth > max_depth).over(partition_by=nearest.c.root)
        .label("cut_by_depth"),
    ).cte("ranked")
    rows = await tx.execute(
        select(
            ranked.c.root, ranked.c.depth, ranked.c.cut_by_depth,
            *labelled(assets, "a_"),
            *labelled(rel, "r_"),
        )
        .join(assets, and_(assets.c.workspace_id == tx.ws, assets.c.id == ranked.c.node))
        .join(rel, and_(rel.c.workspace_id == tx.ws, rel.c.id == ranked.c.edge))
        .where(ranked.c.depth <= max_depth, ranked.c.rn <= first + 1)
        .order_by(ranked.c.root, ranked.c.rn)
    )
    steps: dict[UUID, list[LineageStep]] = {root: [] for root in root_ids}
    cut: dict[UUID, bool] = {}
    for row in rows:
        steps[row.root].append(
            LineageStep(row.depth, AssetRecord.from_row(row, "a_"),
                        RelationshipRecord.from_row(row, "r_"))
        )
        cut[row.root] = row.cut_by_depth
    return {
        root: Lineage(steps=found[:first], is_partial=cut.get(root, False) or len(found) > first)
        for root, found in steps.items()
    }


async def lock_graph(tx: Transaction, key: int) -> None:
    """Serialise the graph writers of one workspace until the transaction ends."""
    await tx.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


LOCK_GRAPHS = text("SELECT count(pg_advisory_xact_lock(key)) "
                   "FROM unnest(CAST(:keys AS bigint[])) AS key")


async def lock_graphs(tx: Transaction, keys: Sequence[int]) -> None:
    """`lock_graph` for each key, in one statement, in key order (two callers locking
    overlapping sets queue instead of deadlocking)."""
    await tx.execute(LOCK_GRAPHS, {"keys": sorted(set(keys))})


# `:start` and its ancestors along edges of `:type`, soft-deleted assets included.
_UP = """
    WITH RECURSIVE up(node) AS (
        SELECT CAST(:start AS uuid)
      UNION
        SELECT e.parent_asset_id FROM up
        JOIN asset_relationships e ON e.workspace_id = :ws AND e.child_asset_id = up.node
            AND e.relationship_type = :type
    )
"""
REACHES = text(_UP + "SELECT EXISTS (SELECT 1 FROM up WHERE node = :target)")


async def reaches(
    tx: Transaction, *, start: UUID, target: UUID, relationship_type: RelationshipType
) -> bool:
    """Whether `target` is an ancestor of (or is) `start` along edges of one type.

    Soft-deleted assets count: restoring one must not reopen a cycle.
    """
    row = await tx.execute(REACHES, {"ws": tx.ws, "start": start, "target": target,
                                     "type": relationship_type})
    return bool(row.scalar_one())


async def find_edge(
    tx: Transaction, *, parent_id: UUID, child_id: UUID, relationship_type: RelationshipType
) -> RelationshipRecord | None:
    row = (
        await tx.execute(
            select(rel).where(
                rel.c.workspace_id == tx.ws,
                rel.c.parent_asset_id == parent_id,
                rel.c.child_asset_id == child_id,
                rel.c.relationship_type == relationship_type,
            )
        )
    ).one_or_none()
    return RelationshipRecord.from_row(row) if row else None


@dataclass(frozen=True)
class LinkCheck:
    parent_name: str | None  # None: no such live asset
    child_name: str | None
    linked: bool  # the edge exists already
    closes_cycle: bool  # the child is an ancestor of (or is) the parent along this type


LINK_CHECKS = text("""
    WITH RECURSIVE given AS (
        SELECT * FROM unnest(CAST(:parents AS uuid[]), CAST(:children AS uuid[]),
                             CAST(:types AS text[]))
            WITH ORDINALITY AS g(parent, child, type, n)
    ), up(n, type, node) AS (
        SELECT n, type, parent FROM given
      UNION
        SELECT up.n, up.type, e.parent FROM up
        CROSS JOIN LATERAL (
            SELECT r.parent_asset_id AS parent FROM asset_relationships r
            WHERE r.workspace_id = :ws AND r.child_asset_id = up.node
              AND r.relationship_type = up.type
          UNION ALL  -- the batch's links by "<type>:<child>": a look-up, not a scan per step
            SELECT CAST(o AS uuid) FROM jsonb_array_elements_text(
                CAST(:batch AS jsonb) -> (up.type || ':' || up.node)) AS o
        ) e
    ), closing AS (
        SELECT DISTINCT up.n FROM up JOIN given g ON g.n = up.n AND g.child = up.node
    )
    SELECT g.n,
        (SELECT name FROM assets WHERE workspace_id = :ws AND id = g.parent
                AND deleted_at IS NULL) AS parent_name,
        (SELECT name FROM assets WHERE workspace_id = :ws AND id = g.child
                AND deleted_at IS NULL) AS child_name,
        EXISTS (SELECT 1 FROM asset_relationships WHERE workspace_id = :ws
                AND parent_asset_id = g.parent AND child_asset_id = g.child
                AND relationship_type = g.type) AS linked,
        closing.n IS NOT NULL AS closes_cycle
    FROM given g LEFT JOIN closing ON closing.n = g.n ORDER BY g.n
""")  # each walk starts at its link's parent: the link closes a cycle when its child is up
# there, reached through the graph or through the batch's other links


async def link_checks(tx: Transaction, links: Sequence[tuple[UUID, UUID, RelationshipType]]
                      ) -> list[LinkCheck]:
    """Everything linking each (parent, child, type) must know, in one statement: both live
    assets' names, an existing edge, a cycle (walked as `reaches` walks it, the batch's other
    links included). Run it under the graph lock, so that no concurrent link changes the
    answer."""
    batch: dict[str, list[str]] = {}
    for parent, child, kind in links:
        batch.setdefault(f"{kind}:{child}", []).append(str(parent))
    rows = await tx.execute(LINK_CHECKS, {
        "ws": tx.ws, "parents": [p for p, _, _ in links], "children": [c for _, c, _ in links],
        "types": [str(t) for _, _, t in links], "batch": json.dumps(batch)})
    return [LinkCheck(row.parent_name, row.child_name, row.linked, row.closes_cycle)
            for row in rows]


INSERT_EDGES = text("""
    WITH given AS (
        SELECT g.*, m.metadata
        FROM unnest(CAST(:ids AS uuid[]), CAST(:parents AS uuid[]), CAST(:children AS uuid[]),
                    CAST(:types AS text[]), CAST(:sequences AS int[]))
            WITH ORDINALITY AS g(id, parent_asset_id, child_asset_id, relationship_type,
                                 sequence, n)
        JOIN jsonb_array_elements(CAST(:metadata AS jsonb)) WITH ORDINALITY AS m(metadata, n)
            USING (n)
    ), counted AS (
        -- per edge: the highest sequence before it (its parent's children of its type, and
        -- the sequences given earlier in the batch) and how many edges up to it have none
        SELECT g.*, greatest((
                   SELECT coalesce(max(r.sequence), 0) FROM asset_relationships r
                   WHERE r.workspace_id = :ws AND r.parent_asset_id = g.parent_asset_id
                     AND r.relationship_type = g.relationship_type),
                   max(g.sequence) OVER (PARTITION BY g.parent_asset_id, g.relationship_type
                                         ORDER BY g.n ROWS BETWEEN UNBOUNDED PRECEDING
                                                           AND 1 PRECEDING)) AS highest,
               count(*) FILTER (WHERE g.sequence IS NULL) OVER (
                   PARTITION BY g.parent_asset_id, g.relationship_type ORDER BY g.n) AS unset
        FROM given g
    ), numbered AS (
        -- an edge without a sequence goes after the last one before it, as if the batch's
        -- edges were inserted one by one
        SELECT c.*, coalesce(c.sequence, max(c.highest - c.unset) FILTER (
                   WHERE c.sequence IS NULL) OVER (
                   PARTITION BY c.parent_asset_id, c.relationship_type ORDER BY c.n)
                   + c.unset + 1) AS assigned
        FROM counted c
    ), inserted AS (
        INSERT INTO asset_relationships (workspace_id, id, parent_asset_id, child_asset_id,
                                         relationship_type, sequence, metadata)
        SELECT :ws, g.id, g.parent_asset_id, g.child_asset_id, g.relationship_type,
               g.assigned, g.metadata
        FROM numbered g ORDER BY g.n
        RETURNING id, parent_asset_id, child_asset_id, relationship_type, sequence, created_at
    ), logged AS (
        -- the payload of `asset.linked` and `asset.unlinked` (graph.use_cases.edge_payload)
        INSERT INTO events (workspace_id, topic, subject_id, actor, payload)
        SELECT :ws, 'asset.linked', i.child_asset_id, :actor, jsonb_build_object(
                   'relationship_id', i.id, 'type', i.relationship_type,
                   'parent_id', i.parent_asset_id, 'child_id', i.child_asset_id,
                   'sequence', i.sequence)
        FROM given g JOIN inserted i ON i.id = g.id ORDER BY g.n
        RETURNING workspace_id, id, topic
    )
    SELECT inserted.id, inserted.sequence, inserted.created_at, """ + NOTICES + """ AS notified
    FROM inserted
""")  # the edges' metadata comes back as it went: the caller decodes what it sent


async def insert_edges(tx: Transaction, edges: Sequence[dict[str, Any]]
                       ) -> list[RelationshipRecord]:
    """Insert many edges and one `asset.linked` event each, in their order, NOTIFYed
    `NOTICE_IDS` at a time (`domain.events.NOTICES`), in one statement. A None `sequence`
    puts the edge after its parent's last child of its type, the batch's earlier edges
    included: the sequences inserting them one by one would give. The edges, in the order
    given."""
    metadata = json_text([e["metadata"] for e in edges])
    result = await tx.execute(INSERT_EDGES, {
        "ws": tx.ws, "actor": tx.actor, "channel": EVENTS_CHANNEL,
        "ids": [e["id"] for e in edges], "parents": [e["parent_asset_id"] for e in edges],
        "children": [e["child_asset_id"] for e in edges],
        "types": [str(e["relationship_type"]) for e in edges],
        "sequences": [e["sequence"] for e in edges], "metadata": metadata})
    found: dict[UUID, Any] = {row[0]: row for row in result}  # id, sequence, created_at
    # The metadata as the database returns it: what was sent, as JSON reads it back (one
    # decoding of the whole batch instead of one per row).
    return [RelationshipRecord.from_mapping({
        **e, "workspace_id": tx.ws, "sequence": found[e["id"]][1], "metadata": stored,
        "created_at": found[e["id"]][2]})
        for e, stored in zip(edges, json.loads(metadata), strict=True)]


async def child_edges_of_type(tx: Transaction, parent_id: UUID,
                              relationship_type: RelationshipType, child_type: str, *,
                              live_only: bool) -> list[RelationshipRecord]:
    """The parent's edges of one type to children of one asset type (e.g. the styles USED_IN
    it, the images REFERENCE_FOR it), in order; with `live_only`, soft-deleted children
    aside."""
    child = and_(assets.c.workspace_id == rel.c.workspace_id,
                 assets.c.id == rel.c.child_asset_id, assets.c.type == child_type)
    if live_only:
        child = and_(child, assets.c.deleted_at.is_(None))
    rows = await tx.execute(
        select(rel).join(assets, child)
        .where(rel.c.workspace_id == tx.ws, rel.c.parent_asset_id == parent_id,
               rel.c.relationship_type == relationship_type)
        .order_by(rel.c.sequence, rel.c.id))
    return [RelationshipRecord.from_row(row) for row in rows]


async def delete_edge(tx: Transaction, relationship_id: UUID) -> RelationshipRecord | None:
    row = (
        await tx.execute(
            rel.delete()
            .where(rel.c.workspace_id == tx.ws, rel.c.id == relationship_id)
            .returning(*rel.c)
        )
    ).one_or_none()
    return RelationshipRecord.from_row(row) if row else None


async def children_edges(
    tx: Transaction, parent_id: UUID, relationship_type: RelationshipType
) -> list[RelationshipRecord]:
    """All child edges of one type, in order, locked for a reorder."""
    rows = await tx.execute(
        select(rel)
        .where(
            rel.c.workspace_id == tx.ws,
            rel.c.parent_asset_id == parent_id,
            rel.c.relationship_type == relationship_type,
        )
        .order_by(rel.c.sequence, rel.c.id)
        .with_for_update()
    )
    return [RelationshipRecord.from_row(r) for r in rows]


async def set_sequences(tx: Transaction, sequences: dict[UUID, int]) -> None:
    if not sequences:
        return
    await tx.execute(
        text(
            """
            UPDATE asset_relationships r SET sequence = s.sequence
            FROM unnest(CAST(:ids AS uuid[]), CAST(:seqs AS int[])) AS s(id, sequence)
            WHERE r.workspace_id = :ws AND r.id = s.id
            """
        ),
        {"ws": tx.ws, "ids": list(sequences), "seqs": list(sequences.values())},
    )
