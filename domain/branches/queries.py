"""SQL of branches: what a project holds, the edges a fork reproduces, a project's forks, and
the fork provenance every copy carries (`is_fork_provenance`).

What a project holds is its live members, their live parts at any depth (a film's scenes and
their shots, whether or not the project lists them) and the live instances of those scenes,
which are never members. A fork reads it, with every edge it copies, in ONE statement, so
the copy is one snapshot whatever commits beside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CTE,
    ColumnElement,
    and_,
    cast,
    exists,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID as UUID_TYPE
from sqlalchemy.dialects.postgresql import distinct_on

from domain.branches.rules import FORK_MARK, Rooted
from domain.db import Transaction
from domain.graph.vocabulary import RelationshipType
from domain.pages import pages_by_owner
from domain.records import AssetRecord, CollectionRecord, Key, Page, RelationshipRecord, labelled
from domain.tables import asset_collection_members as members
from domain.tables import asset_collections as collections
from domain.tables import asset_relationships as rel
from domain.tables import assets

# A copy keeps where it came from: these edges to a parent the fork does not copy (a library
# asset, a project asset outside the project) are reproduced from that same parent.
ORIGIN_TYPES = (RelationshipType.DERIVED_FROM, RelationshipType.VARIANT_OF,
                RelationshipType.GENERATED_FROM)
# ... and what it uses: these edges from a live child the fork does not copy (a library
# style, a shared reference image) are reproduced to the copy.
USE_TYPES = (RelationshipType.USED_IN, RelationshipType.REFERENCE_FOR)


def is_fork_provenance(edge: Any) -> ColumnElement[bool]:
    """The edge (`asset_relationships` or an alias of it) is a fork's copy-to-original link."""
    return edge.c.metadata.has_key(FORK_MARK)  # type: ignore[no-any-return]


def _live(alias: Any, ws: Any, asset_id: Any) -> ColumnElement[bool]:
    return and_(alias.c.workspace_id == ws, alias.c.id == asset_id, alias.c.deleted_at.is_(None))


def _contents(ws: Any, project_ids: Sequence[UUID]) -> CTE:
    """(project_id, id) of every live asset each project holds."""
    member, member_asset = members.alias("cm"), assets.alias("ca")
    parts = (
        select(member.c.collection_id.label("project_id"), member.c.asset_id.label("id"))
        .join(member_asset, _live(member_asset, member.c.workspace_id, member.c.asset_id))
        .where(member.c.workspace_id == ws, member.c.collection_id.in_(project_ids))
        .cte("parts", recursive=True)
    )
    link, part = rel.alias("pl"), assets.alias("pa")
    parts = parts.union(
        select(parts.c.project_id, link.c.child_asset_id)
        .select_from(parts)
        .join(link, and_(link.c.workspace_id == ws, link.c.parent_asset_id == parts.c.id,
                         link.c.relationship_type == RelationshipType.PART_OF))
        .join(part, _live(part, ws, link.c.child_asset_id))
    )
    instance = assets.alias("ci")
    instances = (
        select(parts.c.project_id, instance.c.id)
        .select_from(parts)
        .join(instance, and_(instance.c.workspace_id == ws, instance.c.scene_id == parts.c.id,
                             instance.c.deleted_at.is_(None)))
    )
    return union(select(parts.c.project_id, parts.c.id), instances).cte("contents")


@dataclass(frozen=True)
class Original:
    """An asset a fork copies, and its place in the project when it is a member."""

    asset: AssetRecord
    member_sequence: int | None
    member_metadata: dict[str, Any] | None


@dataclass(frozen=True)
class ForkSources:
    originals: list[Original]  # oldest first
    edges: list[RelationshipRecord]  # in link order


async def fork_sources(tx: Transaction, project_id: UUID) -> ForkSources:
    """What forking the project copies, in one statement: the live assets it holds, plus the
    soft-deleted instances those instances were inherited from (so that a copy's staleness
    says SOURCE_REMOVED as its original's does); and the edges to reproduce: every edge into
    a copied asset from a copied one, or of an `ORIGIN_TYPES` type from any parent, and every
    `USE_TYPES` edge from a live asset that is no scene instance into a copied one. Fork
    provenance edges are not copied: each copy gets its own."""
    ws = tx.ws
    contents = _contents(ws, [project_id])
    instance, inherited, prior = assets.alias("li"), rel.alias("le"), assets.alias("lp")
    removed_priors = (
        select(prior.c.id)
        .select_from(contents)
        .join(instance, and_(instance.c.workspace_id == ws, instance.c.id == contents.c.id,
                             instance.c.instance_of.is_not(None)))
        .join(inherited, and_(inherited.c.workspace_id == ws,
                              inherited.c.child_asset_id == instance.c.id,
                              inherited.c.relationship_type == RelationshipType.DERIVED_FROM,
                              ~is_fork_provenance(inherited)))
        .join(prior, and_(prior.c.workspace_id == ws, prior.c.id == inherited.c.parent_asset_id,
                          prior.c.instance_of.is_not(None), prior.c.deleted_at.is_not(None)))
    )
    copied = union(select(contents.c.id), removed_priors).cte("copied")

    # Two index walks, from the copies down to their parents and up to their children,
    # rather than one scan of the workspace's edges.
    child, parent, user = copied.alias("down"), copied.alias("up"), assets.alias("uc")
    edges = union(
        select(rel.c.id.label("edge_id"))
        .join(child, and_(rel.c.workspace_id == ws, rel.c.child_asset_id == child.c.id))
        .where(~is_fork_provenance(rel),
               or_(rel.c.parent_asset_id.in_(select(copied.c.id)),
                   rel.c.relationship_type.in_(ORIGIN_TYPES))),
        select(rel.c.id)
        .join(parent, and_(rel.c.workspace_id == ws, rel.c.parent_asset_id == parent.c.id))
        .where(rel.c.relationship_type.in_(USE_TYPES),
               rel.c.child_asset_id.not_in(select(copied.c.id)),
               exists().where(_live(user, ws, rel.c.child_asset_id),
                              user.c.scene_id.is_(None))),
    ).cte("edges")
    keys = union_all(
        select(copied.c.id.label("asset_id"), cast(null(), UUID_TYPE).label("edge_id")),
        select(cast(null(), UUID_TYPE), edges.c.edge_id),
    ).subquery("keys")
    member = members.alias("fm")
    rows = await tx.execute(
        select(keys.c.asset_id, member.c.sequence.label("member_sequence"),
               member.c.metadata.label("member_metadata"),
               *labelled(assets, "a_"), *labelled(rel, "r_"))
        .select_from(keys)
        .outerjoin(assets, and_(assets.c.workspace_id == ws, assets.c.id == keys.c.asset_id))
        .outerjoin(rel, and_(rel.c.workspace_id == ws, rel.c.id == keys.c.edge_id))
        .outerjoin(member, and_(member.c.workspace_id == ws,
                                member.c.collection_id == project_id,
                                member.c.asset_id == keys.c.asset_id))
        .order_by(assets.c.created_at, assets.c.id, rel.c.id)
    )
    originals, found_edges = [], []
    for row in rows:
        if row.asset_id is not None:
            originals.append(Original(AssetRecord.from_row(row, "a_"), row.member_sequence,
                                      row.member_metadata))
        else:
            found_edges.append(RelationshipRecord.from_row(row, "r_"))
    return ForkSources(originals, found_edges)


async def rooted_contents(tx: Transaction, project_ids: Sequence[UUID]
                          ) -> dict[UUID, list[Rooted]]:
    """The live assets each project holds, oldest first, each with the asset its chain of
    fork provenance starts from, in one statement."""
    ws = tx.ws
    contents = _contents(ws, project_ids)
    walk = (
        select(contents.c.project_id, contents.c.id, contents.c.id.label("node"))
        .cte("walk", recursive=True)
    )
    fork = rel.alias("fe")
    walk = walk.union(
        select(walk.c.project_id, walk.c.id, fork.c.parent_asset_id)
        .select_from(walk)
        .join(fork, and_(fork.c.workspace_id == ws, fork.c.child_asset_id == walk.c.node,
                         fork.c.relationship_type == RelationshipType.DERIVED_FROM,
                         is_fork_provenance(fork)))
    )
    further = rel.alias("ff")
    roots = (
        select(walk.c.project_id, walk.c.id, walk.c.node.label("root"))
        .where(~exists().where(further.c.workspace_id == ws,
                               further.c.child_asset_id == walk.c.node,
                               further.c.relationship_type == RelationshipType.DERIVED_FROM,
                               is_fork_provenance(further)))
        .ext(distinct_on(walk.c.project_id, walk.c.id))
        .order_by(walk.c.project_id, walk.c.id, walk.c.node)
        .subquery("roots")
    )
    rows = await tx.execute(
        select(roots.c.project_id, roots.c.root, assets)
        .join(assets, and_(assets.c.workspace_id == ws, assets.c.id == roots.c.id))
        .order_by(roots.c.project_id, assets.c.created_at, assets.c.id)
    )
    found: dict[UUID, list[Rooted]] = {project_id: [] for project_id in project_ids}
    for row in rows:
        found[row.project_id].append(Rooted(AssetRecord.from_row(row), row.root))
    return found


async def branch_pages(tx: Transaction, project_ids: Sequence[UUID], *, first: int,
                       after: Key | None) -> dict[UUID, Page[CollectionRecord]]:
    """The forks of each of many projects, oldest first (`COLLECTION_KEY`), a page of each
    from the keyset `after`, with totals, in one statement."""
    forks = (select(collections)
             .where(collections.c.workspace_id == tx.ws,
                    collections.c.branch_of.in_(project_ids))
             .cte("forks"))
    return await pages_by_owner(
        tx, forks, owner="branch_of", key=(forks.c.created_at, forks.c.id), owners=project_ids,
        first=first, after=after, record=CollectionRecord.from_row,
        record_key=lambda collection: (collection.created_at, collection.id))


@dataclass(frozen=True)
class BranchCheck:
    exists: bool  # a collection of the workspace has the branch's id
    descends: bool  # it is a fork of the project, or a fork of one of its forks, ...


async def branch_check(tx: Transaction, *, project_id: UUID, branch_id: UUID) -> BranchCheck:
    """Whether `branch_id` is a collection, and one that descends from the project through
    `branch_of`, in one statement."""
    up = (select(collections.c.branch_of.label("id"))
          .where(collections.c.workspace_id == tx.ws, collections.c.id == branch_id)
          .cte("up", recursive=True))
    parent = collections.alias("bp")
    up = up.union(
        select(parent.c.branch_of)
        .select_from(up)
        .join(parent, and_(parent.c.workspace_id == tx.ws, parent.c.id == up.c.id))
        .where(parent.c.branch_of.is_not(None))
    )
    row = (await tx.execute(select(
        exists().where(collections.c.workspace_id == tx.ws,
                       collections.c.id == branch_id).label("found"),
        exists().where(up.c.id == literal(project_id, UUID_TYPE)).label("descends"),
    ))).one()
    return BranchCheck(row.found, row.descends)
