"""Legacy import: rows read per second and memory, for a generated legacy studio (issue 13).

A legacy database of `--projects` projects x `--scenes` scenes x `--instances` instances
(tests/fixtures/legacy.py `fill_generated`: one branch each, two shots a scene, the instances'
project assets cloned from one library, each instance inheriting from the previous scene's,
ten jobs a project) is imported into a fresh workspace on the same embedded server,
`--concurrency` projects at a time (the command's default), and for the baseline into another
workspace one project at a time. Prints rows read, seconds, rows/s, SQL statements per row
read, and the process' RSS after the first tenth of the projects and at the end (flat: memory
does not grow with the number of projects), then times a second run (everything unchanged).

    python -m bench.legacy_import [--projects 100] [--scenes 20] [--instances 30]
                                  [--concurrency 3]
"""

import argparse
import asyncio
import resource
import time
from uuid import UUID

import asyncpg
import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.import_legacy import CONCURRENCY, Outcomes, run_import
from api.settings import Settings
from bench.common import embedded_database
from domain.access import create_workspace
from domain.db import EngineDatabase, Statements, counted_statements, transaction
from tests.fixtures.legacy import create_schema, dsn, fill_generated


async def _import(database: EngineDatabase, url: str, workspace: UUID, concurrency: int
                  ) -> tuple[Outcomes, int, list[float]]:
    """One run: its outcome, the statements it sent, and RSS (MB) after each project."""
    source = create_async_engine("postgresql+asyncpg://" + url.split("://", 1)[1],
                                 pool_size=1, max_overflow=0)
    process = psutil.Process()
    rss: list[float] = []
    statements = Statements()
    token = counted_statements.set(statements)
    try:
        outcomes = await run_import(
            database, source, workspace, files=None, dry_run=False,
            progress=lambda done, _: rss.append(process.memory_info().rss / 2**20) if done
            else None, concurrency=concurrency)
    finally:
        counted_statements.reset(token)
        await source.dispose()
    return outcomes, statements.count, rss


async def main(projects: int, scenes: int, instances: int, concurrency_at: int) -> None:
    settings = Settings(_env_file=None, environment="development",
                        pool_size=concurrency_at + 1)
    async with embedded_database(settings) as bench:
        admin = bench.engine.execution_options(isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text('CREATE DATABASE "legacy"'))
        url = dsn(bench.engine.url.set(database="legacy").render_as_string(hide_password=False))
        await create_schema(url)
        started = time.perf_counter()
        written = await fill_generated(url, projects=projects, scenes=scenes,
                                       instances=instances)
        # A live legacy database has its statistics (autovacuum's); a fresh one would read
        # its tables whole until autovacuum came round.
        legacy = await asyncpg.connect(url)
        try:
            await legacy.execute("ANALYZE")
        finally:
            await legacy.close()
        print(f"generated {written:,} legacy rows in {time.perf_counter() - started:.1f} s")
        runs = {}
        for name, concurrency in ((f"first, {concurrency_at} at once", concurrency_at),
                                  ("first, one at a time", 1)):
            async with transaction(bench.database) as tx:
                workspace = (await create_workspace(tx, name)).id
            runs[name] = (workspace, *await _import(bench.database, url, workspace,
                                                    concurrency))
        workspace, outcomes, _, rss = runs[f"first, {concurrency_at} at once"]
        runs["second (unchanged)"] = (workspace, *await _import(bench.database, url, workspace,
                                                              concurrency_at))
        print(f"{'run':<24}{'rows read':>11}{'seconds':>9}{'rows/s':>9}{'stmts/row':>11}"
              f"{'created':>9}{'unchanged':>11}")
        for name, (_, done, statements, _) in runs.items():
            report = done.report
            print(f"{name:<24}{report.rows_read:>11,}{done.seconds:>9.1f}"
                  f"{report.rows_read / done.seconds:>9,.0f}"
                  f"{statements / report.rows_read:>11.2f}"
                  f"{sum(c.created for c in report.tables.values()):>9,}"
                  f"{sum(c.unchanged for c in report.tables.values()):>11,}")
        baseline = runs["first, one at a time"][1]
        print(f"first run, {concurrency_at} at once: {baseline.seconds / outcomes.seconds:.2f}x "
              "the one-at-a-time rows/s")
        tenth = rss[max(0, len(rss) // 10 - 1)]
        print(f"RSS after {max(1, len(rss) // 10)} of {projects} projects: {tenth:.1f} MB; "
              f"after all: {rss[-1]:.1f} MB; peak of the process: "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")
        print(f"problems: {len(outcomes.report.problems)}; failed units: {outcomes.failed}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--scenes", type=int, default=20)
    parser.add_argument("--instances", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.projects, arguments.scenes, arguments.instances,
                     arguments.concurrency))
