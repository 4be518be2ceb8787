"""SQL over the legacy database: the import's only reads of it, streamed unit by unit.

The caller opens ONE read-only, REPEATABLE READ transaction on the source and passes its
connection to every function here, so the whole run reads one snapshot. Users and projects
are paged by id (keyset); each page of ids is followed by the few statements that load one
library or one project, so memory holds a unit at a time (and the next project, read ahead)
however large the studio.

The legacy tables are described by lightweight `table()` constructs built from the row
records (`domain.legacy.rows`): no SQL text is assembled from strings.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    TableClause,
    column,
    exists,
    func,
    select,
    table,
    union,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.legacy.rows import (
    Branch,
    GlobalAsset,
    Instance,
    Job,
    LegacyRow,
    LibraryRows,
    Project,
    ProjectAsset,
    ProjectRows,
    Scene,
    Shot,
    StyleCapsule,
    User,
)

R = TypeVar("R", bound=LegacyRow)

PAGE = 50


def _table(row: type[LegacyRow]) -> TableClause:
    """One construct per legacy table (a statement naming it twice would join it twice)."""
    if row.table not in _TABLES:
        _TABLES[row.table] = table(row.table, *(column(name) for name in row.columns()))
    return _TABLES[row.table]


_TABLES: dict[str, TableClause] = {}


USERS, CAPSULES, GLOBALS = _table(User), _table(StyleCapsule), _table(GlobalAsset)
PROJECTS, BRANCHES, SCENES = _table(Project), _table(Branch), _table(Scene)
SHOTS, PROJECT_ASSETS = _table(Shot), _table(ProjectAsset)
INSTANCES, JOBS = _table(Instance), _table(Job)


async def _rows(source: AsyncConnection, row: type[R], query: Select[Any]) -> list[R]:
    """The rows, each with its canonical JSON made now: a project is read ahead of its
    import (`projects_read_ahead`), while the writer waits on its database."""
    rows = [row.from_mapping(found._mapping) for found in await source.execute(query)]
    for read in rows:
        read.canonical  # noqa: B018 (made now, kept by the row)
    return rows


async def _paged(source: AsyncConnection, row: type[R], where: ColumnElement[bool] | None
                 ) -> AsyncIterator[R]:
    """Every row of the table (matching `where`) by id, `PAGE` at a time."""
    rows = _table(row)
    after: UUID | None = None
    while True:
        query = select(rows).order_by(rows.c.id).limit(PAGE)
        if where is not None:
            query = query.where(where)
        if after is not None:
            query = query.where(rows.c.id > after)
        page = await _rows(source, row, query)
        for found in page:
            yield found
        if len(page) < PAGE:
            return
        after = page[-1].id


async def count_projects(source: AsyncConnection) -> int:
    return int((await source.execute(select(func.count()).select_from(PROJECTS))).scalar_one())


def users(source: AsyncConnection) -> AsyncIterator[User]:
    return _paged(source, User, None)


async def library_of(source: AsyncConnection, user: User) -> LibraryRows:
    capsules = await _rows(source, StyleCapsule, select(CAPSULES).where(
        CAPSULES.c.user_id == user.id).order_by(CAPSULES.c.created_at, CAPSULES.c.id))
    assets = await _rows(source, GlobalAsset, select(GLOBALS).where(
        GLOBALS.c.user_id == user.id).order_by(GLOBALS.c.created_at, GLOBALS.c.id))
    return LibraryRows(user, capsules, assets)


async def project_rows(source: AsyncConnection, project: Project) -> ProjectRows:
    """The project and everything of it, in six statements."""
    branch_ids = select(BRANCHES.c.id).where(BRANCHES.c.project_id == project.id)
    scene_ids = select(SCENES.c.id).where(SCENES.c.branch_id.in_(branch_ids))
    asset_ids = select(PROJECT_ASSETS.c.id).where(PROJECT_ASSETS.c.project_id == project.id)
    branches = await _rows(source, Branch, select(BRANCHES).where(
        BRANCHES.c.project_id == project.id).order_by(BRANCHES.c.created_at, BRANCHES.c.id))
    scenes = await _rows(source, Scene, select(SCENES).where(
        SCENES.c.branch_id.in_(branch_ids)).order_by(
        SCENES.c.branch_id, SCENES.c.scene_number, SCENES.c.id))
    shots = await _rows(source, Shot, select(SHOTS).where(
        SHOTS.c.scene_id.in_(scene_ids)).order_by(SHOTS.c.scene_id, SHOTS.c.shot_order,
                                                  SHOTS.c.id))
    assets = await _rows(source, ProjectAsset, select(PROJECT_ASSETS).where(
        PROJECT_ASSETS.c.project_id == project.id).order_by(
        PROJECT_ASSETS.c.created_at, PROJECT_ASSETS.c.id))
    # An instance whose scene is gone is still the project's through its project asset (and
    # one whose project asset is gone, through its scene): both are reported, not lost. Two
    # selects, each through its index (an OR of the two reads the whole table).
    of_either = union(
        select(INSTANCES).where(INSTANCES.c.project_asset_id.in_(asset_ids)),
        select(INSTANCES).where(INSTANCES.c.scene_id.in_(scene_ids))).subquery("instance")
    instances = await _rows(source, Instance, select(of_either).order_by(
        of_either.c.created_at, of_either.c.id))
    jobs = await _rows(source, Job, select(JOBS).where(JOBS.c.project_id == project.id)
                       .order_by(JOBS.c.created_at, JOBS.c.id))
    return ProjectRows(project, branches, scenes, shots, assets, instances, jobs)


async def projects_read_ahead(source: AsyncConnection) -> AsyncIterator[ProjectRows]:
    """Every project's rows (`project_rows`), the next project read while the caller works
    on this one: the legacy server answers, and its rows are built, while the caller waits
    on its own database. At most two projects are held."""
    projects = aiter(_paged(source, Project, None))

    async def read_next() -> ProjectRows | None:
        project = await anext(projects, None)
        return None if project is None else await project_rows(source, project)

    pending = asyncio.ensure_future(read_next())
    try:
        while (rows := await pending) is not None:
            pending = asyncio.ensure_future(read_next())
            yield rows
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending


def stray_instances(source: AsyncConnection) -> AsyncIterator[Instance]:
    """Instances whose scene AND project asset are both gone: no project reaches them."""
    scene, asset = _table(Scene).alias("s"), _table(ProjectAsset).alias("a")
    return _paged(source, Instance,
                  ~exists().where(scene.c.id == INSTANCES.c.scene_id)
                  & ~exists().where(asset.c.id == INSTANCES.c.project_asset_id))
