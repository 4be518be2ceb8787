"""`assetgraph import-legacy`: the legacy studio data into a workspace, unit by unit.

The source is read in ONE read-only, REPEATABLE READ transaction (one snapshot), a library
or a project at a time. Each unit is written in a transaction of its own: a unit that fails
rolls back whole, is reported, and the run goes on. A dry run writes through the same code in
one transaction (each unit a savepoint, so later units see the libraries) and rolls it all
back, so its report is the one a real run would print. Files are read and hashed before a
unit's transaction opens.

Projects are written `concurrency` at a time (each in its own transaction, on its own
connection): while the database writes one project, this process builds the next one's rows,
so both of the machine's cores work (docs/decisions.md, "Speed, measured"). A project makes
only assets of its own, links its new assets without the graph lock (`link_new_children`,
`add_edges`) and takes its files' locks first, in one order (`lock_hashes`), so projects in
flight never wait for each other, save on the graph lock a style link takes. Their reports
are merged in project order, so a report does not depend on which finished first. A dry run,
one transaction, writes one unit at a time.
"""

import asyncio
import gc
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.db import Database, Transaction, transaction
from domain.legacy import source
from domain.legacy.files import FileSource, UnitFiles
from domain.legacy.library import import_library
from domain.legacy.projects import import_project
from domain.legacy.queries import analyze
from domain.legacy.report import Outcome, ProblemKind, Report
from domain.legacy.rows import Instance, LibraryRows, ProjectRows

ACTOR = "import-legacy"
CONCURRENCY = 3  # projects written at once: the first run's fastest on 2 cores (bench)
R = TypeVar("R", LibraryRows, ProjectRows)
Importer = Callable[[Transaction, R, UnitFiles, Report], Awaitable[None]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Outcomes:
    report: Report
    seconds: float
    dry_run: bool
    failed: int


class _Units:
    """Opens each unit's transaction: its own (a real run), or a savepoint of the run's one
    (a dry run)."""

    def __init__(self, database: Database, workspace_id: UUID, dry_run: bool) -> None:
        self.database, self.workspace_id, self.dry_run = database, workspace_id, dry_run
        self._dry: Transaction | None = None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Transaction]:
        if self._dry is None:
            async with transaction(self.database, workspace_id=self.workspace_id,
                                   actor=ACTOR) as tx:
                yield tx
            return
        async with self._dry.savepoint():
            yield self._dry

    @asynccontextmanager
    async def run(self) -> AsyncIterator["_Units"]:
        if not self.dry_run:
            yield self
            return
        self._dry = Transaction(self.database, workspace_id=self.workspace_id, actor=ACTOR)
        try:
            yield self
        finally:
            dry, self._dry = self._dry, None
            await dry.close(commit=False)


class _Statistics:
    """ANALYZE the graph's tables each time the import has doubled what it created, from 500
    rows (past the first project: its plans, and those of the foreign keys' checks, were
    made for empty tables and read them whole) to 10,000 (past which no plan changes: every
    look-up goes through its index; autovacuum's own ANALYZE, a minute late, takes over).
    Not in a dry run, whose rows no other transaction sees."""

    FIRST, LAST = 500, 10_000

    def __init__(self, database: Database, dry_run: bool) -> None:
        self.database, self.dry_run = database, dry_run
        self.analyzed_at = 0

    async def keep_up(self, report: Report) -> None:
        created = sum(c.created for c in report.tables.values())
        if (self.dry_run or self.analyzed_at >= self.LAST
                or created - self.analyzed_at < max(self.FIRST, self.analyzed_at)):
            return
        async with transaction(self.database, actor=ACTOR) as tx:
            await analyze(tx)
        self.analyzed_at = created


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """An import allocates millions of short-lived objects, nearly all freed by reference
    counting, and the cycle collector's default pace (a young collection every 700
    allocations, a full one every 100 young ones, each walking every live object of the
    process) cost a quarter of its time. While it runs, what lived before it is left out of
    full collections (`gc.freeze`) and young collections come 140 times less often (at
    20,000 allocations they still took 0.6 s of a 100-project import, at 100,000 0.16 s: the
    more of a young generation reference counting has freed by then, the less a collection
    walks); cyclic garbage is still collected, so memory stays flat."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


async def run_import(database: Database, source_engine: AsyncEngine, workspace_id: UUID, *,
                     files: FileSource | None, dry_run: bool,
                     progress: Progress | None = None,
                     concurrency: int = CONCURRENCY) -> Outcomes:
    """`concurrency`: how many projects are written at once (1 in a dry run)."""
    with _fewer_collections():
        return await _run_import(database, source_engine, workspace_id, files=files,
                                 dry_run=dry_run, progress=progress,
                                 concurrency=1 if dry_run else concurrency)


async def _run_import(database: Database, source_engine: AsyncEngine, workspace_id: UUID, *,
                      files: FileSource | None, dry_run: bool,
                      progress: Progress | None, concurrency: int) -> Outcomes:
    started = time.perf_counter()
    run = _Run(Report(), _Statistics(database, dry_run), progress)
    units = _Units(database, workspace_id, dry_run)
    async with source_engine.connect() as connection:
        snapshot = await connection.execution_options(isolation_level="REPEATABLE READ",
                                                      postgresql_readonly=True)
        async with snapshot.begin(), units.run():
            run.total = await source.count_projects(snapshot)
            async for user in source.users(snapshot):
                library = await source.library_of(snapshot, user)
                urls = [a.image_key_url for a in library.assets]
                await run.settle(_unit(units, import_library, library, urls, files),
                                 (ProblemKind.LIBRARY_FAILED, "users", user.id))
            run.progressed(0)
            await _projects(snapshot, units, files, run, concurrency)
            await _strays(snapshot, run.report)
    return Outcomes(run.report, time.perf_counter() - started, dry_run, run.failed)


UnitDone = tuple[Report, str | None]  # the unit's report, and why it failed (None: it did not)


class _Run:
    """What the run has done: its report, failed units, projects done; each unit's outcome
    merged as it is settled."""

    def __init__(self, report: Report, statistics: _Statistics, progress: Progress | None
                 ) -> None:
        self.report, self.statistics, self.progress = report, statistics, progress
        self.failed = self.done = self.total = 0

    async def settle(self, unit: Awaitable[UnitDone], named: tuple[ProblemKind, str, UUID]
                     ) -> None:
        unit_report, error = await unit
        if error is None:
            self.report.merge(unit_report)
        else:
            self.report.fail(unit_report, *named, error)
            self.failed += 1
        await self.statistics.keep_up(self.report)

    def progressed(self, done: int) -> None:
        self.done = done
        if self.progress is not None:
            self.progress(done, self.total)


async def _projects(snapshot: AsyncConnection, units: _Units, files: FileSource | None,
                    run: _Run, concurrency: int) -> None:
    """Every project, up to `concurrency` in flight, settled in project order."""
    flight: deque[tuple[asyncio.Future[UnitDone], tuple[ProblemKind, str, UUID]]] = deque()

    async def land() -> None:
        unit, named = flight.popleft()
        await run.settle(unit, named)
        run.progressed(run.done + 1)

    try:
        async for rows in source.projects_read_ahead(snapshot):
            urls = ([a.image_key_url for a in rows.assets]
                    + [i.image_key_url for i in rows.instances])
            flight.append((asyncio.ensure_future(_unit(units, import_project, rows, urls, files)),
                           (ProblemKind.PROJECT_FAILED, "projects", rows.project.id)))
            if len(flight) >= concurrency:
                await land()
        while flight:
            await land()
    finally:  # the run stopped (the source failed): what is in flight rolls back
        for unit, _ in flight:
            unit.cancel()
        await asyncio.gather(*(unit for unit, _ in flight), return_exceptions=True)


async def _unit(units: _Units, importer: Importer[R], rows: R, urls: list[str | None],
                files: FileSource | None) -> UnitDone:
    """Import one unit: its report, and why it failed (rolled back) or None."""
    unit_files = UnitFiles(files)
    unit_report = Report()
    try:
        await unit_files.prepare(urls)
        async with units.unit() as tx:
            await importer(tx, rows, unit_files, unit_report)
    except Exception as error:  # any failure of one unit leaves it out, never the run
        return unit_report, f"{type(error).__name__}: {error}"
    finally:
        unit_files.discard()
    return unit_report, None


async def _strays(snapshot: AsyncConnection, report: Report) -> None:
    """Instances no project reaches (scene and project asset both gone): orphans."""
    async for instance in source.stray_instances(snapshot):
        report.read(Instance.table)
        report.skip(ProblemKind.ORPHAN, Instance.table, instance.id,
                    f"its scene {instance.scene_id} and its project asset "
                    f"{instance.project_asset_id} are gone")


# -- output ------------------------------------------------------------------------------------

def as_json(outcomes: Outcomes, workspace_id: UUID) -> dict[str, Any]:
    report = outcomes.report
    return {"workspace_id": str(workspace_id), "dry_run": outcomes.dry_run,
            **report.as_dict(), "failed_units": outcomes.failed,
            "seconds": round(outcomes.seconds, 3),
            "rows_per_second": round(report.rows_read / outcomes.seconds, 1)
            if outcomes.seconds else None}


def as_text(outcomes: Outcomes) -> str:
    report = outcomes.report
    columns = ("read", *(o.value for o in Outcome))
    lines = [f"{'table':<24}" + "".join(f"{c:>11}" for c in columns)]
    for name, counts in report.tables.items():
        lines.append(f"{name:<24}" + "".join(f"{getattr(counts, c):>11}" for c in columns))
    if report.problems:
        lines.append(f"\n{len(report.problems)} problem(s):")
        lines += [f"  {p.kind.value:<20} {p.table:<22} {p.legacy_id}  {p.message}"
                  for p in report.problems]
    rate = report.rows_read / outcomes.seconds if outcomes.seconds else 0.0
    verdict = ("nothing changed" if not report.changed
               else "changes written" if not outcomes.dry_run
               else "dry run: these changes were NOT written")
    lines.append(f"\n{report.rows_read} legacy rows read in {outcomes.seconds:.1f} s "
                 f"({rate:,.0f} rows/s); {verdict}"
                 + (f"; {outcomes.failed} unit(s) failed and were rolled back"
                    if outcomes.failed else ""))
    return "\n".join(lines)


def progress_bar(stream: TextIO = sys.stderr, width: int = 30) -> Progress:
    """Draws `[#####.....] 12/40 projects` in place on a terminal."""
    def draw(done: int, total: int) -> None:
        filled = width * done // total if total else width
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} projects")
        if done >= total:
            stream.write("\n")
        stream.flush()
    return draw
