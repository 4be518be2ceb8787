"""Row-level security, the second wall (issue 9, item 8): a statement that forgets the
workspace filter still sees, and may write, only its own workspace's rows."""

from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from domain.assets.use_cases import NewAsset, create_asset
from domain.db import EngineDatabase, transaction
from tests.conftest import make_workspace

UNFILTERED = "SELECT name FROM assets ORDER BY name"


async def _two_workspaces(database: EngineDatabase) -> tuple[UUID, UUID]:
    a, b = await make_workspace(database, "RLS A"), await make_workspace(database, "RLS B")
    for workspace, name in ((a, "Mine"), (b, "Theirs")):
        async with transaction(database, workspace_id=workspace.id, actor="t") as tx:
            await create_asset(tx, NewAsset(type="prop", name=name))
    return a.id, b.id


async def test_a_query_without_the_workspace_filter_sees_only_its_workspace(
    committed_database: EngineDatabase,
) -> None:
    # given an asset in each of two workspaces
    a, b = await _two_workspaces(committed_database)
    # when a transaction bound to A reads every asset, and B's by B's id, with no filter of A
    async with transaction(committed_database, workspace_id=a, readonly=True) as tx:
        names = [row.name for row in await tx.execute(text(UNFILTERED))]
        theirs = (await tx.execute(text("SELECT count(*) FROM assets WHERE workspace_id = :b"),
                                   {"b": b})).scalar_one()
    # and the compiled path's single-statement read does the same as A
    read = await committed_database.read_one(
        "SELECT json_agg(name ORDER BY name)::text FROM assets", [], workspace_id=a)
    # then A sees its own asset only; a transaction bound to no workspace sees both
    assert (names, theirs, read) == (["Mine"], 0, '["Mine"]')
    async with transaction(committed_database, readonly=True) as tx:
        everyone = [row.name for row in await tx.execute(text(UNFILTERED))]
    assert everyone == ["Mine", "Theirs"]


async def test_a_write_into_another_workspace_is_refused(
    committed_database: EngineDatabase,
) -> None:
    # given two workspaces
    a, b = await _two_workspaces(committed_database)
    # when a transaction bound to A inserts an asset row for B, or renames B's assets
    with pytest.raises(DBAPIError, match="violates row-level security policy"):
        async with transaction(committed_database, workspace_id=a, actor="t") as tx:
            await tx.execute(text(
                "INSERT INTO assets (workspace_id, id, type, name, created_by) "
                "VALUES (:b, gen_random_uuid(), 'prop', 'Planted', 't')"), {"b": b})
    async with transaction(committed_database, workspace_id=a, actor="t") as tx:
        renamed = (await tx.execute(text(
            "UPDATE assets SET name = 'Renamed' WHERE workspace_id = :b"), {"b": b})).rowcount
    # then nothing of B changed
    async with transaction(committed_database, readonly=True) as tx:
        everyone = [row.name for row in await tx.execute(text(UNFILTERED))]
    assert (renamed, everyone) == (0, ["Mine", "Theirs"])
