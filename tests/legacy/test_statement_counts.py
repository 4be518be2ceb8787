"""What an import costs in SQL statements on the graph's side: a fixed number per project (and
per library) on a first run and on a second run, whatever the project holds and whatever the
workspace holds."""

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


async def test_a_first_run_and_a_rerun_cost_a_fixed_number_of_statements_per_project(
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
    # then a first run costs a fixed number of statements per library and per project,
    # however many rows each has: the library 10 (set_config; its collection found, made
    # with its event; what it holds; its assets made, with their legacy times and versions;
    # their memberships, 3; its collection's legacy times), a project 39 (set_config; its
    # collections found; its collection with its event, 2; its film, and the film's
    # membership, 3; the scenes made, linked to the film, 1 (`link_new_children`: no graph
    # lock, no graph check), and made members, 3; the shots made and linked, 1; the library
    # assets its assets sync from; its assets made, made members, 3, linked to their
    # sources, locked, 2, and given back their legacy times, and its collection's; its
    # instances added, 10 (add_scene_assets), and linked to the ones they inherited from;
    # its jobs found and inserted; its branch state)
    assert (small[0], wider[0], more[0]) == (10 + 39, 10 + 39, 10 + 3 * 39)
    # and a second run costs 6 statements per project and 3 per library
    assert (small[1], more[1]) == (3 + 6, 3 + 3 * 6)
