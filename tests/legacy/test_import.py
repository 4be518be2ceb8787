"""`import-legacy` against a real legacy database (tests/fixtures/legacy.py) and a real
workspace: counts, problems, re-runs and dry runs."""

import hashlib
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import func, select

from domain.db import transaction
from domain.jobs.use_cases import NewJob, enqueue_job
from domain.storage import BlobStore
from domain.tables import assets, blobs, events, jobs
from tests.conftest import GraphQLClient, SavepointDatabase, WorkspaceTokens
from tests.fixtures.legacy import ID, at
from tests.legacy.conftest import Legacy, import_legacy
from tests.legacy.helpers import (
    FIRST_RUN,
    by_legacy_id,
    counts,
    expected_problems,
    parents,
    problems,
    unchanged,
)


async def test_a_first_import_counts_every_table_and_reports_every_problem(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
) -> None:
    # when the studio is imported
    outcomes = await import_legacy(db, workspace.id, legacy, store)
    # then every table is counted, every problem named by its legacy id, and the broken
    # project rolled back alone
    assert counts(outcomes.report) == FIRST_RUN
    assert problems(outcomes.report) == expected_problems(legacy)
    assert (outcomes.failed, outcomes.report.changed, outcomes.report.rows_read) == (1, True, 59)
    # and the files that were there are stored, once each
    held = sorted(hashlib.sha256(c).hexdigest() for c in legacy.studio.files.values())
    assert sorted(sha for sha, _ in store.files()) == held
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        rows = await tx.execute(select(blobs.c.sha256).where(blobs.c.workspace_id == tx.ws))
        assert sorted(r.sha256 for r in rows) == held


async def _fingerprint(db: SavepointDatabase, workspace_id: UUID) -> tuple[Any, ...]:
    """What any write would change: counts, the last event, the latest update."""
    async with transaction(db, workspace_id=workspace_id, readonly=True) as tx:
        row = (await tx.execute(select(
            select(func.count()).select_from(assets).where(
                assets.c.workspace_id == tx.ws).scalar_subquery(),
            select(func.max(assets.c.updated_at)).where(
                assets.c.workspace_id == tx.ws).scalar_subquery(),
            select(func.sum(assets.c.version)).where(
                assets.c.workspace_id == tx.ws).scalar_subquery(),
            select(func.count()).select_from(events).where(
                events.c.workspace_id == tx.ws).scalar_subquery(),
            select(func.count()).select_from(jobs).where(
                jobs.c.workspace_id == tx.ws).scalar_subquery(),
        ))).one()
    return tuple(row)


async def test_a_second_run_changes_nothing_and_says_so(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
) -> None:
    # given the studio imported once
    first = await import_legacy(db, workspace.id, legacy, store)
    before = await _fingerprint(db, workspace.id)
    # when it is imported again
    second = await import_legacy(db, workspace.id, legacy, store)
    # then every row is unchanged (the skipped ones skipped again, for the same reasons)
    assert counts(second.report) == unchanged(FIRST_RUN)
    assert problems(second.report) == problems(first.report)
    assert second.report.changed is False
    assert await _fingerprint(db, workspace.id) == before


async def test_a_run_after_legacy_rows_changed_updates_exactly_those(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
    gql: GraphQLClient,
) -> None:
    # given the studio imported, then a global asset and an instance edited in legacy
    await import_legacy(db, workspace.id, legacy, store)
    source = await asyncpg.connect(legacy.url)
    try:
        await source.execute("UPDATE global_assets SET description = 'fog and gulls', "
                             "version = version + 1, updated_at = $2 WHERE id = $1",
                             ID("g_harbour"), at(100))
        await source.execute("UPDATE scene_asset_instances SET description_override = "
                             "'dried off' WHERE id = $1", ID("i3_john"))
    finally:
        await source.close()
    # when it is imported again
    again = await import_legacy(db, workspace.id, legacy, store)
    # then exactly those two rows are updated
    expected = unchanged(FIRST_RUN)
    expected["global_assets"] = (4, 0, 1, 3, 0)
    expected["scene_asset_instances"] = (18, 0, 1, 11, 6)
    assert counts(again.report) == expected
    found = await by_legacy_id(gql, "g_harbour", "i3_john")
    assert (found["g_harbour"]["description"], found["g_harbour"]["version"],
            found["g_harbour"]["updatedAt"]) == ("fog and gulls", 2, at(100).isoformat())
    i3 = found["i3_john"]
    assert (i3["description"], i3["version"], i3["sync"]["overriddenFields"],
            i3["metadata"]["legacy"]["modification_count"]) == (
        "dried off", 2, ["description"], 1)
    assert parents(i3, "DERIVED_FROM") == [("John Doe", str(ID("i2_john")))]


async def test_a_dry_run_writes_nothing_and_reports_the_same(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
) -> None:
    # given an empty workspace
    before = await _fingerprint(db, workspace.id)
    # when the studio is imported with --dry-run
    dry = await import_legacy(db, workspace.id, legacy, store, dry_run=True)
    # then it reports what a real run does, and nothing was written, no file stored
    assert counts(dry.report) == FIRST_RUN
    assert problems(dry.report) == expected_problems(legacy)
    assert (dry.dry_run, dry.failed) == (True, 1)
    assert await _fingerprint(db, workspace.id) == before
    assert list(store.files()) == []
    real = await import_legacy(db, workspace.id, legacy, store)
    assert counts(real.report) == FIRST_RUN


async def test_a_job_whose_idempotency_key_the_workspace_uses_comes_in_without_it(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
) -> None:
    # given a job of the workspace's own holding legacy job j2's idempotency key
    async with transaction(db, workspace_id=workspace.id, actor="editor") as tx:
        mine = await enqueue_job(tx, NewJob(kind="noop", idempotency_key="job-2"))
    # when the studio is imported
    outcomes = await import_legacy(db, workspace.id, legacy, store)
    # then j2 is imported without the key, reported; the other jobs keep theirs
    assert [p for p in problems(outcomes.report) if p[1] == "image_generation_jobs"] == [
        ("invalid_value", "image_generation_jobs", str(ID("j2")),
         "idempotency key 'job-2' is another job's in this workspace: imported without it")]
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        rows = await tx.execute(select(
            jobs.c.id, jobs.c.params["legacy"]["id"].astext.label("legacy_id"),
            jobs.c.idempotency_key).where(jobs.c.workspace_id == tx.ws))
        keys = {r.legacy_id or r.id: r.idempotency_key for r in rows}
    assert keys == {mine.id: "job-2", str(ID("j1")): "job-1", str(ID("j2")): None,
                    str(ID("j3")): "job-3", str(ID("j4")): None, str(ID("j5")): "job-5",
                    str(ID("j6")): "job-6"}
    assert counts(outcomes.report)["image_generation_jobs"] == FIRST_RUN[
        "image_generation_jobs"]
