"""What an import costs in SQL statements on the graph's side: a fixed number per instance on
a first run, and on a second run a fixed number per project, whatever the workspace holds."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.storage import LocalBlobStore
from tests.conftest import SavepointDatabase, StatementCounter, WorkspaceTokens
from tests.fixtures.legacy import Studio, create_schema, fill_generated, scratch_database
from tests.legacy.conftest import Legacy, import_legacy


async def _statements(engine: AsyncEngine, db: SavepointDatabase, workspace: WorkspaceTokens,
                      counter: StatementCounter, tmp_path: Path, *, projects: int,
                      instances: int) -> tuple[int, int]:
    """Statements of a first and of a second import of a generated studio."""
    async with scratch_database(engine) as url:
        await create_schema(url)
        await fill_generated(url, projects=projects, scenes=2, instances=instances, shots=1,
                             jobs=2)
        legacy = Legacy(url, tmp_path, Studio({}, {}, ""))
        store = LocalBlobStore(tmp_path / "blobs")
        with counter.counting() as first:
            await import_legacy(db, workspace.id, legacy, store)
        with counter.counting() as second:
            again = await import_legacy(db, workspace.id, legacy, store)
        assert again.report.changed is False
        return len(first), len(second)


async def test_an_instance_costs_the_same_and_a_rerun_costs_per_project(
    engine: AsyncEngine, db: SavepointDatabase, workspace: WorkspaceTokens,
    statement_counter: StatementCounter, tmp_path: Path,
) -> None:
    # given studios of 1 project with 2 and with 3 project assets (one instance of each per
    # scene, 2 scenes), and of 3 projects with 2
    small = await _statements(engine, db, workspace, statement_counter, tmp_path / "a",
                              projects=1, instances=2)
    wider = await _statements(engine, db, workspace, statement_counter, tmp_path / "b",
                              projects=1, instances=3)
    more = await _statements(engine, db, workspace, statement_counter, tmp_path / "c",
                             projects=3, instances=2)
    # then one more library asset cloned into the project with its 2 instances costs the
    # same on a first run (4 for the library asset, 7 for the project asset, 10 for the
    # first instance, add_scene_asset's, and 11 for the second, which adds its DERIVED_FROM
    # edge), and a second run costs 6 statements per project and 3 per library
    assert wider[0] - small[0] == 4 + 7 + 10 + 11
    assert (small[1], more[1]) == (3 + 6, 3 + 3 * 6)
