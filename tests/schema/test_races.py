"""Concurrent writers on real, separate transactions: no cycle slips in, no update is lost."""

import asyncio
from itertools import pairwise

from tests.conftest import GraphQLClient
from tests.helpers import LINK, create_asset, link


async def test_concurrent_links_cannot_close_a_cycle(racer: GraphQLClient) -> None:
    # given a chain of 21 shots, each PART_OF the previous
    ids = [await create_asset(racer, f"S{i}", "shot") for i in range(21)]
    for parent, child in pairwise(ids):
        await link(racer, parent, child)
    # when 20 requests at once each try to put the bottom shot above an earlier one
    async def attempt(i: int) -> list[str]:
        body = await racer(LINK, {"input": {"parentId": ids[20], "childId": ids[i],
                                            "type": "PART_OF"}})
        return [e["code"] for e in body["data"]["linkAssets"]["errors"]]
    results = await asyncio.gather(*(attempt(i) for i in range(20)))
    # then every one of them was refused, and a walk from the bottom ends at the top
    assert results == [["CYCLE"]] * 20
    walk = await racer("""query ($id: ID!) { asset(id: $id) { lineage(direction: UPSTREAM,
      maxDepth: 50) { isPartial steps { depth } } } }""", {"id": ids[20]})
    steps = walk["data"]["asset"]["lineage"]["steps"]
    assert [s["depth"] for s in steps] == list(range(1, 21))


async def test_racing_pairs_of_opposite_links_leave_one_each(racer: GraphQLClient) -> None:
    # given 10 pairs of unlinked assets
    pairs = [(await create_asset(racer, f"A{i}", "shot"), await create_asset(racer, f"B{i}",
                                                                              "shot"))
             for i in range(10)]
    # when each pair is linked both ways at the same time (20 requests)
    async def attempt(parent: str, child: str) -> list[str]:
        body = await racer(LINK, {"input": {"parentId": parent, "childId": child,
                                            "type": "PART_OF"}})
        return [e["code"] for e in body["data"]["linkAssets"]["errors"]]
    results = await asyncio.gather(*(attempt(a, b) for a, b in pairs),
                                   *(attempt(b, a) for a, b in pairs))
    # then exactly one direction of each pair won
    for i in range(10):
        assert sorted([results[i], results[10 + i]]) == [[], ["CYCLE"]]


async def test_concurrent_updates_of_one_asset_both_land(racer: GraphQLClient) -> None:
    asset_id = await create_asset(racer, "Mara", "character_ref")
    update = """mutation ($input: UpdateAssetInput!) { updateAsset(input: $input) {
      asset { version } errors { code } } }"""
    first, second = await asyncio.gather(
        racer(update, {"input": {"id": asset_id, "description": "muddy"}}),
        racer(update, {"input": {"id": asset_id, "tags": ["wet"]}}),
    )
    versions = sorted([first["data"]["updateAsset"]["asset"]["version"],
                       second["data"]["updateAsset"]["asset"]["version"]])
    assert versions == [2, 3]
    after = await racer("query ($id: ID!) { asset(id: $id) { version description tags "
                        "modificationCount } }", {"id": asset_id})
    assert after["data"]["asset"] == {"version": 3, "description": "muddy", "tags": ["wet"],
                                      "modificationCount": 2}
