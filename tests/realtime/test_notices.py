"""What a listening process hears of a batch written in one statement: a notice for each
`NOTICE_IDS` events of one workspace and topic, naming their ids in order; nothing of a
rolled-back batch."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import select

from domain.assets.use_cases import NewAsset, create_assets, set_locked_many
from domain.collections.use_cases import Membership, add_many_to_collection, create_collection
from domain.db import EngineDatabase, transaction
from domain.events import EVENTS_CHANNEL, NOTICE_IDS, parse_notice
from domain.graph.use_cases import NewEdge, add_edges
from domain.graph.vocabulary import RelationshipType
from domain.tables import events
from tests.conftest import make_workspace


@pytest.fixture
async def heard(database_url: str) -> AsyncIterator[list[str]]:
    """The payloads of EVENTS_CHANNEL's notices, as a listening process gets them."""
    payloads: list[str] = []
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    await connection.add_listener(EVENTS_CHANNEL, lambda *args: payloads.append(args[3]))
    try:
        yield payloads
    finally:
        await connection.close()


async def _settled(heard: list[str]) -> list[str]:
    """What was heard once notices stop coming."""
    count = -1
    while count != len(heard):
        count = len(heard)
        await asyncio.sleep(0.2)
    return heard


async def test_a_batch_is_heard_in_notices_of_notice_ids_events(
    committed_database: EngineDatabase, heard: list[str],
) -> None:
    # given a workspace
    workspace = (await make_workspace(committed_database, "Noticed")).id
    await _settled(heard)
    heard.clear()
    # when 700 assets are made in one statement, 650 edges between them in another, 620 of
    # them locked in a third, 310 made members of a collection in a fourth, and a batch of 10
    # is rolled back
    count = 2 * NOTICE_IDS + 100
    async with transaction(committed_database, workspace_id=workspace, actor="t") as tx:
        made = await create_assets(tx, [NewAsset(type="prop", name=f"P{n}")
                                        for n in range(count)])
        await add_edges(tx, [NewEdge(made[0].id, child.id, RelationshipType.PART_OF)
                             for child in made[1:651]])
        await set_locked_many(tx, [asset.id for asset in made[:620]], locked=True)
        shelf = await create_collection(tx, name="Shelf", type="library")
        await add_many_to_collection(tx, collection_id=shelf.id, members=[
            Membership(asset.id) for asset in made[:310]])
    with pytest.raises(RuntimeError):
        async with transaction(committed_database, workspace_id=workspace, actor="t") as tx:
            await create_assets(tx, [NewAsset(type="prop", name="gone")] * 10)
            raise RuntimeError("rolled back")
    # then each batch's events are named by notices of at most NOTICE_IDS ids each, every
    # event once, in order, and nothing of the rolled-back batch
    notices = [parse_notice(payload) for payload in await _settled(heard)]
    topics = ("asset.created", "asset.linked", "asset.locked", "collection.created",
              "collection.asset_added")
    async with transaction(committed_database, workspace_id=workspace) as tx:
        logged = {topic: [row.id for row in await tx.execute(
            select(events.c.id).where(events.c.workspace_id == workspace,
                                      events.c.topic == topic).order_by(events.c.id))]
                  for topic in topics}
    assert [(topic, len(ids)) for _, ids, topic in notices] == [
        ("asset.created", 300), ("asset.created", 300), ("asset.created", 100),
        ("asset.linked", 300), ("asset.linked", 300), ("asset.linked", 50),
        ("asset.locked", 300), ("asset.locked", 300), ("asset.locked", 20),
        ("collection.created", 1),
        ("collection.asset_added", 300), ("collection.asset_added", 10)]
    assert {str(ws) for ws, _, _ in notices} == {str(workspace)}
    for topic, ids in logged.items():
        assert [i for _, found, t in notices if t == topic for i in found] == ids
    assert [len(logged[topic]) for topic in topics] == [700, 650, 620, 1, 310]
