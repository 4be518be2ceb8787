"""The many-row use cases write exactly what their single-row forms write one by one (the
same rows, edges, memberships and events), and refuse a batch with the error the single-row
form gives its first refused row; a refused batch writes nothing."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from domain.assets.queries import get_assets
from domain.assets.use_cases import (
    Imported,
    NewAsset,
    create_asset,
    create_assets,
    delete_asset,
    set_locked,
    set_locked_many,
)
from domain.collections.use_cases import (
    Membership,
    add_many_to_collection,
    add_to_collection,
    create_collection,
)
from domain.db import Transaction, transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail
from domain.graph.use_cases import NewEdge, link_assets, link_assets_many, link_new_children
from domain.graph.vocabulary import RelationshipType
from domain.sync.use_cases import SyncLink, link_sync_source, link_sync_sources
from domain.tables import events
from tests.conftest import SavepointDatabase, StatementCounter, WorkspaceTokens
from tests.domain.batches import undone

PART_OF = RelationshipType.PART_OF


async def _made(db: SavepointDatabase, workspace_id: UUID, *names: str) -> dict[str, UUID]:
    """Props of these names, committed."""
    async with transaction(db, workspace_id=workspace_id, actor="editor") as tx:
        made = await create_assets(tx, [NewAsset(type="prop", name=n) for n in names])
    return {asset.name: asset.id for asset in made}


async def _events(db: SavepointDatabase, workspace_id: UUID) -> int:
    async with transaction(db, workspace_id=workspace_id) as tx:
        return int((await tx.execute(select(func.count()).select_from(events).where(
            events.c.workspace_id == workspace_id))).scalar_one())


async def _refusal(db: SavepointDatabase, workspace_id: UUID,
                   write: Callable[[Transaction], Awaitable[Any]]) -> list[ErrorDetail]:
    """The errors `write` raises, having written nothing (every write logs an event)."""
    before = await _events(db, workspace_id)
    with pytest.raises(DomainError) as raised:
        async with transaction(db, workspace_id=workspace_id, actor="editor") as tx:
            await write(tx)
    assert await _events(db, workspace_id) == before
    return raised.value.details


NEW = [NewAsset(type="prop", name="Hat", description="a hat", tags=["worn", "b", "worn"],
                metadata={"colour": "red"}, source="import"),
       NewAsset(type="image", name="Still", url="https://x.test/still.png", size=3,
                duration=Decimal("1.5"), generation_cost=Decimal("0.0125"),
                metadata={"width": 10, "height": 5, "format": "png"})]


async def test_create_assets_writes_what_create_asset_writes_one_by_one(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given two new assets of different types and fields
    # when they are created one by one, and (instead) in one batch
    async def singly(tx: Transaction) -> set[UUID]:
        return {(await create_asset(tx, new)).id for new in NEW}

    async def batch(tx: Transaction) -> set[UUID]:
        made = await create_assets(tx, NEW)
        assert [a.name for a in made] == ["Hat", "Still"]  # in the order given
        return {a.id for a in made}

    one_by_one = await undone(db, workspace.id, singly)
    at_once = await undone(db, workspace.id, batch)
    # then both wrote the same rows and events
    assert at_once == one_by_one
    hat = next(a for a in at_once["assets"] if a["name"] == "Hat")
    assert (hat["tags"], hat["version"], hat["source"], hat["created_by"]) == (
        ["worn", "b"], 1, "import", "editor")
    assert sorted((e["topic"], e["payload"]["name"]) for e in at_once["events"]) == [
        ("asset.created", "Hat"), ("asset.created", "Still")]


async def test_create_assets_refuses_them_all_with_the_first_invalid_ones_errors(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given a valid asset, then an image whose name is blank and width a word, then another
    bad = NewAsset(type="image", name=" ", metadata={"width": "wide"})
    worse = NewAsset(type="unknown", name="X")
    # when it is created alone, and in a batch after a valid one and before a worse one
    alone = await _refusal(db, workspace.id, lambda tx: create_asset(tx, bad))
    batch = await _refusal(db, workspace.id,
                           lambda tx: create_assets(tx, [NEW[0], bad, worse]))
    # then the batch gives the single call's errors and wrote nothing
    assert batch == alone == [
        ErrorDetail(ErrorCode.INVALID, "name must not be blank", "name"),
        ErrorDetail(ErrorCode.INVALID, "metadata.width must be a positive integer in image "
                    "metadata", "metadata.width")]


async def test_link_assets_many_links_as_link_assets_does_one_by_one(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given a film, two scenes and two shots
    ids = await _made(db, workspace.id, "Film", "S1", "S2", "A", "B")
    edges = [NewEdge(ids["Film"], ids["S1"], PART_OF, 4),
             NewEdge(ids["Film"], ids["S2"], PART_OF),
             NewEdge(ids["S1"], ids["A"], PART_OF, metadata={"note": "wide"}),
             NewEdge(ids["S1"], ids["B"], PART_OF)]

    # when they are linked one by one, and (instead) in one batch
    async def singly(tx: Transaction) -> set[UUID]:
        for e in edges:
            await link_assets(tx, parent_id=e.parent_id, child_id=e.child_id,
                              relationship_type=e.relationship_type, sequence=e.sequence,
                              metadata=e.metadata)
        return set(ids.values())

    async def batch(tx: Transaction) -> set[UUID]:
        made = await link_assets_many(tx, edges)
        assert [e.sequence for e in made] == [4, 5, 1, 2]
        return set(ids.values())

    one_by_one = await undone(db, workspace.id, singly)
    at_once = await undone(db, workspace.id, batch)
    # then both wrote the same edges and events, a missing sequence after the last child's
    assert at_once == one_by_one
    assert sorted((e["parent_asset_id"], e["child_asset_id"], e["sequence"], e["metadata"])
                  for e in at_once["edges"]) == [
        ("Film", "S1", 4, {}), ("Film", "S2", 5, {}), ("S1", "A", 1, {"note": "wide"}),
        ("S1", "B", 2, {})]
    assert sorted((e["topic"], e["subject_id"], e["payload"]["sequence"])
                  for e in at_once["events"]) == [
        ("asset.linked", "A", 1), ("asset.linked", "B", 2), ("asset.linked", "S1", 4),
        ("asset.linked", "S2", 5)]


async def test_link_assets_many_refuses_what_link_assets_refuses(
    db: SavepointDatabase, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens,
) -> None:
    # given two assets, and one of another workspace
    ids = await _made(db, workspace.id, "X", "Y")
    stranger = (await _made(db, other_workspace.id, "Z"))["Z"]
    x, y = ids["X"], ids["Y"]
    twice = [NewEdge(x, y, PART_OF), NewEdge(x, y, PART_OF)]

    async def linked_twice(tx: Transaction) -> None:
        for e in twice:
            await link_assets(tx, parent_id=e.parent_id, child_id=e.child_id,
                              relationship_type=e.relationship_type)

    # when a pair is listed twice (alone: linked twice), a batch closes a cycle of its own,
    # and a batch names another workspace's asset (alone: linked to it)
    conflict = ErrorDetail(ErrorCode.CONFLICT, "these assets are already linked as part_of",
                           "childId")
    assert await _refusal(db, workspace.id, lambda tx: link_assets_many(tx, twice)) == [
        conflict]
    assert await _refusal(db, workspace.id, linked_twice) == [conflict]
    assert await _refusal(db, workspace.id, lambda tx: link_assets_many(tx, [
        NewEdge(y, x, PART_OF), NewEdge(x, y, PART_OF)])) == [ErrorDetail(
            ErrorCode.CYCLE, "'X' is already an ancestor of 'Y' through part_of; this link "
            "would close a cycle", "childId")]
    missing = [ErrorDetail(ErrorCode.NOT_FOUND, "asset not found", "childId")]
    assert await _refusal(db, workspace.id, lambda tx: link_assets_many(tx, [
        NewEdge(x, y, PART_OF), NewEdge(x, stranger, PART_OF)])) == missing
    assert await _refusal(db, workspace.id, lambda tx: link_assets(
        tx, parent_id=x, child_id=stranger, relationship_type=PART_OF)) == missing


async def test_link_new_children_links_new_assets_as_link_assets_many_does_in_one_statement(
    db: SavepointDatabase, workspace: WorkspaceTokens, statement_counter: StatementCounter,
) -> None:
    # given a film
    film = (await _made(db, workspace.id, "Film"))["Film"]

    def scenes_linked_by(link: Callable[[Transaction, list[NewEdge]], Awaitable[Any]]
                         ) -> Callable[[Transaction], Awaitable[set[UUID]]]:
        async def write(tx: Transaction) -> set[UUID]:
            made = await create_assets(tx, [NewAsset(type="scene", name=n)
                                            for n in ("S1", "S2")])
            with statement_counter.counting() as statements:
                await link(tx, [NewEdge(film, made[0].id, PART_OF, 3, {"take": 2}),
                                NewEdge(film, made[1].id, PART_OF)])
            linked.append(len(statements))
            return {film, *(asset.id for asset in made)}
        return write

    # when new scenes are linked to it by link_assets_many, and (instead) by link_new_children
    linked: list[int] = []
    checked = await undone(db, workspace.id, scenes_linked_by(link_assets_many))
    trusted = await undone(db, workspace.id, scenes_linked_by(link_new_children))
    # then both wrote the same edges and events; link_new_children in one statement, without
    # the graph lock and the graph check link_assets_many sends first
    assert trusted == checked
    assert sorted((e["parent_asset_id"], e["child_asset_id"], e["sequence"], e["metadata"])
                  for e in trusted["edges"]) == [("Film", "S1", 3, {"take": 2}),
                                                 ("Film", "S2", 4, {})]
    assert linked == [3, 1]


async def test_link_new_children_refuses_the_input_link_assets_many_refuses(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given a film and a scene
    ids = await _made(db, workspace.id, "Film", "S1")
    film, scene = ids["Film"], ids["S1"]
    # when a batch has a sequence out of range, or sync state in its metadata
    for edges in ([NewEdge(film, scene, PART_OF, 3), NewEdge(film, scene, PART_OF, -1)],
                  [NewEdge(film, scene, PART_OF, metadata={"source_version": 1})]):
        # then link_new_children refuses it with link_assets_many's error, writing nothing
        assert await _refusal(db, workspace.id, lambda tx, e=edges: link_new_children(
            tx, e)) == await _refusal(db, workspace.id, lambda tx, e=edges: link_assets_many(
                tx, e))
    assert await _refusal(db, workspace.id, lambda tx: link_new_children(tx, [
        NewEdge(film, scene, PART_OF, -1)])) == [ErrorDetail(
            ErrorCode.INVALID, "sequence must be between 0 and 1000000000", "sequence")]


async def test_add_many_to_collection_adds_as_add_to_collection_does_one_by_one(
    db: SavepointDatabase, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens,
) -> None:
    # given a collection holding A, and B, C, D not in it
    ids = await _made(db, workspace.id, "A", "B", "C", "D")
    async with transaction(db, workspace_id=workspace.id, actor="editor") as tx:
        shelf = (await create_collection(tx, name="Shelf", type="library")).id
        await add_to_collection(tx, collection_id=shelf, asset_id=ids["A"])
    members = [Membership(ids["B"]), Membership(ids["A"]), Membership(ids["C"], 7),
               Membership(ids["B"]), Membership(ids["D"])]

    # when A (again), B (twice), C at 7 and D are added one by one, and (instead) at once
    async def singly(tx: Transaction) -> set[UUID]:
        for m in members:
            await add_to_collection(tx, collection_id=shelf, asset_id=m.asset_id,
                                    sequence=m.sequence)
        return set(ids.values())

    async def batch(tx: Transaction) -> set[UUID]:
        await add_many_to_collection(tx, collection_id=shelf, members=members)
        return set(ids.values())

    one_by_one = await undone(db, workspace.id, singly)
    at_once = await undone(db, workspace.id, batch)
    # then both added each new one once, in order, A staying where it was
    assert at_once == one_by_one
    assert sorted((m["asset_id"], m["sequence"]) for m in at_once["members"]) == [
        ("A", 1), ("B", 2), ("C", 7), ("D", 8)]
    assert sorted(e["payload"]["asset_id"] for e in at_once["events"]) == ["B", "C", "D"]
    # and another workspace's asset is refused as add_to_collection refuses it
    stranger = (await _made(db, other_workspace.id, "Z"))["Z"]
    missing = [ErrorDetail(ErrorCode.NOT_FOUND, "asset not found", "assetId")]
    assert await _refusal(db, workspace.id, lambda tx: add_many_to_collection(
        tx, collection_id=shelf, members=[Membership(ids["B"]), Membership(stranger)])
    ) == missing
    assert await _refusal(db, workspace.id, lambda tx: add_to_collection(
        tx, collection_id=shelf, asset_id=stranger)) == missing


async def test_set_locked_many_locks_as_set_locked_does_one_by_one(
    db: SavepointDatabase, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens,
) -> None:
    # given A locked already, B and C not
    ids = await _made(db, workspace.id, "A", "B", "C")
    async with transaction(db, workspace_id=workspace.id, actor="editor") as tx:
        await set_locked(tx, ids["A"], locked=True)
    listed = [ids["B"], ids["A"], ids["C"], ids["B"]]

    # when B, A, C and B are locked one by one, and (instead) at once
    async def singly(tx: Transaction) -> set[UUID]:
        for asset_id in listed:
            await set_locked(tx, asset_id, locked=True)
        return set(ids.values())

    async def batch(tx: Transaction) -> set[UUID]:
        locked = await set_locked_many(tx, listed, locked=True)
        assert [(a.name, a.locked) for a in locked] == [
            ("B", True), ("A", True), ("C", True), ("B", True)]
        return set(ids.values())

    one_by_one = await undone(db, workspace.id, singly)
    at_once = await undone(db, workspace.id, batch)
    # then both locked B and C once each, with an event each
    assert at_once == one_by_one
    assert sorted((e["topic"], e["subject_id"]) for e in at_once["events"]) == [
        ("asset.locked", "B"), ("asset.locked", "C")]
    # and a deleted asset or another workspace's is refused as set_locked refuses it
    stranger = (await _made(db, other_workspace.id, "Z"))["Z"]
    async with transaction(db, workspace_id=workspace.id, actor="editor") as tx:
        await delete_asset(tx, ids["C"])
    deleted = [ErrorDetail(ErrorCode.INVALID, "asset 'C' is deleted; restore it first", "id")]
    assert await _refusal(db, workspace.id, lambda tx: set_locked_many(
        tx, [ids["B"], ids["C"]], locked=True)) == deleted
    assert await _refusal(db, workspace.id, lambda tx: set_locked(
        tx, ids["C"], locked=True)) == deleted
    missing = [ErrorDetail(ErrorCode.NOT_FOUND, "asset not found", "id")]
    assert await _refusal(db, workspace.id, lambda tx: set_locked_many(
        tx, [ids["B"], stranger], locked=True)) == missing
    assert await _refusal(db, workspace.id, lambda tx: set_locked(
        tx, stranger, locked=True)) == missing


async def test_link_sync_sources_link_as_link_sync_source_does_one_by_one(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given a library asset and two copies of it
    ids = await _made(db, workspace.id, "Source", "Copy 1", "Copy 2")
    async with transaction(db, workspace_id=workspace.id) as tx:
        records = {a.name: a for a in (await get_assets(tx, list(ids.values()))).values()}
    links = [SyncLink(records["Copy 1"], records["Source"], RelationshipType.DERIVED_FROM,
                      ["name"]),
             SyncLink(records["Copy 2"], records["Source"], RelationshipType.DERIVED_FROM, [],
                      base={"name": "Old"}, source_version=7, synced_at="2020-01-01T00:00:00")]

    # when each is linked to its source one by one, and (instead) at once
    async def singly(tx: Transaction) -> set[UUID]:
        for link in links:
            await link_sync_source(tx, child=link.child, source=link.source,
                                   relationship_type=link.relationship_type,
                                   overridden=link.overridden, base=link.base,
                                   source_version=link.source_version,
                                   synced_at=link.synced_at)
        return set(ids.values())

    async def batch(tx: Transaction) -> set[UUID]:
        await link_sync_sources(tx, links)
        return set(ids.values())

    one_by_one = await undone(db, workspace.id, singly)
    at_once = await undone(db, workspace.id, batch)
    # then both wrote the same sync edges (the time of a sync aside)
    assert at_once == one_by_one
    assert sorted((e["child_asset_id"], e["sequence"], e["metadata"]) for e in at_once["edges"]
                  ) == [
        ("Copy 1", 1, {"base": {"description": "", "file": None, "generation_prompt": "",
                                "name": "Source", "tags": [], "url": None},
                       "overridden_fields": ["name"], "source_version": 1}),
        ("Copy 2", 2, {"base": {"name": "Old"}, "overridden_fields": [], "source_version": 7})]


async def test_an_imported_asset_keeps_its_times_and_version(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given an asset imported with its times and version, one imported without times, and a
    # new one
    made_at, changed_at = datetime(2020, 1, 2, tzinfo=UTC), datetime(2021, 3, 4, tzinfo=UTC)
    news = [NewAsset(type="prop", name="Old", imported=Imported(made_at, changed_at, 4)),
            NewAsset(type="prop", name="Undated", imported=Imported(version=2)),
            NewAsset(type="prop", name="New")]
    # when they are created at once
    async with transaction(db, workspace_id=workspace.id, actor="editor") as tx:
        old, undated, new = await create_assets(tx, news)
    # then the imported one has its times and version, the others now and their versions
    assert (old.created_at, old.updated_at, old.version) == (made_at, changed_at, 4)
    assert (undated.created_at == new.created_at, undated.version, new.version) == (True, 2, 1)
    assert undated.created_at > changed_at
    # and an imported version below 1 is refused
    assert await _refusal(db, workspace.id, lambda tx: create_assets(tx, [
        NewAsset(type="prop", name="Zero", imported=Imported(version=0))])) == [
        ErrorDetail(ErrorCode.INVALID, "an imported version is at least 1", "version")]


async def test_link_assets_many_finds_a_cycle_through_the_graph_and_the_batch(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given Y part_of X, and Z
    ids = await _made(db, workspace.id, "X", "Y", "Z")
    x, y, z = ids["X"], ids["Y"], ids["Z"]
    async with transaction(db, workspace_id=workspace.id, actor="editor") as tx:
        await link_assets(tx, parent_id=x, child_id=y, relationship_type=PART_OF)
    # when Z part_of Y and X part_of Z are linked at once (X, Y, Z would go round), or the
    # other way round, or with other types
    closing = [NewEdge(y, z, PART_OF), NewEdge(z, x, PART_OF)]
    # then the first link is refused, the cycle found through the existing link
    assert await _refusal(db, workspace.id, lambda tx: link_assets_many(tx, closing)) == [
        ErrorDetail(ErrorCode.CYCLE, "'Z' is already an ancestor of 'Y' through part_of; this "
                    "link would close a cycle", "childId")]
    assert await _refusal(db, workspace.id, lambda tx: link_assets_many(
        tx, closing[::-1])) == [ErrorDetail(
            ErrorCode.CYCLE, "'X' is already an ancestor of 'Z' through part_of; this link "
            "would close a cycle", "childId")]
    # and links of another type go round nothing
    async with transaction(db, workspace_id=workspace.id, actor="editor") as tx:
        made = await link_assets_many(tx, [NewEdge(y, z, RelationshipType.USED_IN),
                                           NewEdge(z, x, RelationshipType.USED_IN)])
    assert [(e.relationship_type, e.sequence) for e in made] == [
        (RelationshipType.USED_IN, 1), (RelationshipType.USED_IN, 1)]
