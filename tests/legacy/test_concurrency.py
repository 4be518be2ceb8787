"""Projects imported several at once (`run_import(concurrency=N)`, each in its own
transaction on a database of real connections) write the graph and the report that one at a
time writes, while sharing files and a style."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.database import asyncpg_url
from api.import_legacy import Outcomes, run_import
from domain.db import EngineDatabase, OpenTransaction, transaction
from domain.legacy.files import FileSource
from domain.storage import LocalBlobStore
from domain.tables import (
    asset_collection_members,
    asset_collections,
    asset_relationships,
    assets,
    blobs,
    events,
    jobs,
)
from tests.conftest import make_workspace
from tests.domain.batches import labelled
from tests.fixtures.legacy import PUBLIC, create_schema, fill_generated, png, scratch_database


class _InFlight:
    """The test's database, counting the transactions open at once (the most seen)."""

    def __init__(self, database: EngineDatabase) -> None:
        self.database, self.open_now, self.most = database, 0, 0

    async def open(self, *, readonly: bool) -> OpenTransaction:
        opened = await self.database.open(readonly=readonly)
        self.open_now += 1
        self.most = max(self.most, self.open_now)
        close = opened.close

        async def closed(*, commit: bool) -> None:
            self.open_now -= 1
            await close(commit=commit)
        opened.close = closed  # type: ignore[method-assign]
        return opened

    async def read_one(self, sql: str, values: Sequence[Any], *, workspace_id: UUID) -> Any:
        return await self.database.read_one(sql, values, workspace_id=workspace_id)


async def _studio(url: str, files: Path) -> None:
    """Six generated projects whose props share one file and locations another, whose
    characters share a style, and whose third project fails (a description too long)."""
    await fill_generated(url, projects=6, scenes=3, instances=6, shots=1, jobs=2)
    for name, color in (("prop.png", (10, 200, 10)), ("place.png", (10, 10, 200))):
        (files / name).write_bytes(png(color))
    source = await asyncpg.connect(url)
    try:
        capsule = await source.fetchval(
            "INSERT INTO style_capsules (user_id, name, capsule_type, description) "
            "SELECT id, 'Shared look', 'visual', 'one look' FROM users RETURNING id")
        await source.execute(
            "UPDATE project_assets SET visual_style_capsule_id = $1 "
            "WHERE asset_type = 'character'", capsule)
        await source.execute(
            "UPDATE project_assets SET image_key_url = $1 || CASE asset_type "
            "WHEN 'prop' THEN 'prop.png' ELSE 'place.png' END "
            "WHERE asset_type IN ('prop', 'location')", PUBLIC)
        await source.execute(
            "UPDATE project_assets SET description = repeat('x', 100001) WHERE id = ("
            "SELECT a.id FROM project_assets a JOIN projects p ON p.id = a.project_id "
            "WHERE p.name = 'Project 3' ORDER BY a.id LIMIT 1)")
    finally:
        await source.close()


async def _import(database: _InFlight, url: str, files: Path, blobs_dir: Path,
                  workspace_id: UUID, concurrency: int) -> Outcomes:
    source = create_async_engine(asyncpg_url(url), pool_size=1, max_overflow=0)
    try:
        return await run_import(
            database, source, workspace_id,  # type: ignore[arg-type]
            files=FileSource(files, LocalBlobStore(blobs_dir), max_bytes=10_000_000,
                             max_pixels=10_000_000), dry_run=False, concurrency=concurrency)
    finally:
        await source.dispose()


async def _graph(database: EngineDatabase, workspace_id: UUID) -> dict[str, Any]:
    """Everything the workspace holds, each id replaced by its row's legacy table and id,
    volatile columns and digests (they hash graph ids) aside, sorted; and, apart, the
    sequences of the edges (and of their events) that make library assets the sources of
    project assets, by library asset."""
    async with transaction(database, workspace_id=workspace_id, readonly=True) as tx:
        def rows(table: Any) -> Any:
            return select(table).where(table.c.workspace_id == tx.ws)

        found = {table.name: [dict(row) for row in (await tx.execute(rows(table))).mappings()]
                 for table in (assets, asset_collections, asset_relationships,
                               asset_collection_members, jobs, blobs)}
        logged = (await tx.execute(select(events.c.topic, events.c.subject_id, events.c.payload)
                                   .where(events.c.workspace_id == tx.ws))).mappings().all()
    names = {str(row["id"]): f"{row['metadata']['legacy']['table']}:"
                             f"{row['metadata']['legacy']['id']}"
             for table in ("assets", "asset_collections") for row in found[table]}
    found["events"] = [dict(row) for row in logged]
    graph = {table: [_without_digest(labelled(row, names)) for row in found_rows]
             for table, found_rows in found.items()}
    sequences: dict[str, list[int]] = {}
    for edge in graph["asset_relationships"]:
        if edge["parent_asset_id"].startswith("global_assets:"):
            sequences.setdefault(edge["parent_asset_id"], []).append(edge.pop("sequence"))
    for event in graph["events"]:
        if event["payload"].get("parent_id", "").startswith("global_assets:"):
            del event["payload"]["sequence"]
    return {**{table: sorted(rows, key=repr) for table, rows in graph.items()},
            "library sequences": {parent: sorted(found) for parent, found in sequences.items()}}


def _without_digest(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_digest(v) for k, v in value.items() if k != "digest"}
    return value


async def test_projects_in_flight_at_once_write_what_one_at_a_time_writes(
    engine: AsyncEngine, committed_database: EngineDatabase, tmp_path: Path,
) -> None:
    # given a legacy studio whose projects share files and a style, one of them broken
    files = tmp_path / "bucket"
    files.mkdir()
    async with scratch_database(engine) as url:
        await create_schema(url)
        await _studio(url, files)
        alone = await make_workspace(committed_database, "One at a time")
        together = await make_workspace(committed_database, "Four at once")
        # when it is imported one project at a time, and (into another workspace) four at once
        one, four = _InFlight(committed_database), _InFlight(committed_database)
        first = await _import(one, url, files, tmp_path / "blobs", alone.id, 1)
        second = await _import(four, url, files, tmp_path / "blobs", together.id, 4)
    # then projects were in flight together, and the broken one failed alone in both runs
    assert (one.most, four.most > 1) == (1, True)
    assert (first.failed, second.failed) == (1, 1)
    # and both runs report the same, problems in project order, and wrote the same graph
    assert second.report.as_dict() == first.report.as_dict()
    written = await _graph(committed_database, together.id)
    sequential = await _graph(committed_database, alone.id)
    at_once, one_by_one = written.pop("library sequences"), sequential.pop("library sequences")
    assert written == sequential
    # and each library asset's 5 project assets (one a project, the broken one's rolled back)
    # follow it as 1..5 one at a time; at once, two projects in flight may take the same
    # number, as two clones made at once do (listed then in the order they were made)
    assert one_by_one == {parent: [1, 2, 3, 4, 5] for parent in one_by_one}
    assert at_once.keys() == one_by_one.keys()
    assert [len(found) for found in at_once.values()] == [5] * 6
    assert all(set(found) <= {1, 2, 3, 4, 5} for found in at_once.values())
    # (the library: 6 assets and the style; each project but the broken one: its film, 3
    # scenes, 3 shots, 6 assets and 3 x 6 instances)
    assert (len(written["assets"]), len(written["blobs"])) == (6 + 1 + 5 * (1 + 3 + 3 + 6 + 18), 2)
