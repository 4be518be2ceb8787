"""A legacy project's image generation jobs, as finished jobs of the graph: history only.

Each job is about the asset its legacy row names, found in the job's own branch: a
`master_asset` job's project asset; a `scene_asset` job's instance of (scene, asset), else its
project asset, else its scene; a frame or inpaint job's shot, else its scene; failing all, the
branch's film. So every job counts in its branch's `costSummary`, and the workspace's total
is the legacy sum. No use case writes a finished job (enqueueing makes a queued one, which a
worker would run), so the jobs are inserted as they are, one statement per 500 rows.
"""

from typing import Any
from uuid import UUID

from domain.events import jsonable
from domain.ids import uuid7
from domain.legacy import queries
from domain.legacy.keys import LEGACY
from domain.legacy.mapping import JOB_KIND, digest, job_params, job_state
from domain.legacy.report import Outcome, ProblemKind
from domain.legacy.rows import Job, ProjectRows
from domain.legacy.unit import Unit
from domain.records import AssetRecord

BATCH = 500


async def import_jobs(unit: Unit, rows: ProjectRows, *, films: dict[UUID, AssetRecord],
                      scenes: dict[UUID, AssetRecord], assets: dict[UUID, AssetRecord],
                      instances: dict[tuple[UUID, UUID], AssetRecord],
                      shots: dict[UUID, AssetRecord]) -> None:
    target = _Targets(rows, films, scenes, assets, instances, shots)
    about = {a.id for a in unit.existing.values()} | target.ids()
    existing = await queries.jobs_about(unit.tx, sorted(about))
    new: list[dict[str, Any]] = []
    for job in rows.jobs:
        values = _values(job, target.of(job))
        found = existing.get(str(job.id))
        if found is None:
            new.append(values)
        elif found.params.get(LEGACY, {}).get("digest") == values["params"][LEGACY]["digest"]:
            unit.report.count(Job.table, Outcome.UNCHANGED)
        else:
            await queries.update_job(unit.tx, found.id, {k: v for k, v in values.items()
                                                         if k != "id"})
            unit.report.count(Job.table, Outcome.UPDATED)
    await _insert(unit, new)


async def _insert(unit: Unit, new: list[dict[str, Any]]) -> None:
    """Insert in batches; a job whose idempotency key the workspace already uses (a job made
    here, not imported) goes in without it, reported."""
    refused: list[dict[str, Any]] = []
    for start in range(0, len(new), BATCH):
        batch = new[start:start + BATCH]
        inserted = await queries.insert_jobs(unit.tx, batch)
        refused += [v for v in batch if v["id"] not in inserted]
    for values in refused:
        legacy_id = values["params"][LEGACY]["id"]
        unit.report.problem(ProblemKind.INVALID_VALUE, Job.table, legacy_id,
                            f"idempotency key {values['idempotency_key']!r} is another job's "
                            "in this workspace: imported without it")
    await queries.insert_jobs(unit.tx, [{**v, "idempotency_key": None} for v in refused])
    unit.report.count(Job.table, Outcome.CREATED, len(new))


class _Targets:
    """The asset a job is about, looked up within the job's branch."""

    def __init__(self, rows: ProjectRows, films: dict[UUID, AssetRecord],
                 scenes: dict[UUID, AssetRecord], assets: dict[UUID, AssetRecord],
                 instances: dict[tuple[UUID, UUID], AssetRecord],
                 shots: dict[UUID, AssetRecord]) -> None:
        self.films, self.scenes, self.assets = films, scenes, assets
        self.instances, self.shots = instances, shots
        self.root_film = next(iter(films.values()))
        self.branch: dict[UUID, UUID] = {s.id: s.branch_id for s in rows.scenes}
        self.branch.update({a.id: a.branch_id for a in rows.assets})
        self.branch.update({s.id: self.branch[s.scene_id] for s in rows.shots
                            if s.scene_id in self.branch})

    def ids(self) -> set[UUID]:
        found: list[dict[Any, AssetRecord]] = [self.films, self.scenes, self.assets,
                                               self.instances, self.shots]
        return {asset.id for assets in found for asset in assets.values()}

    def _mine(self, job: Job, found: dict[UUID, AssetRecord], legacy_id: UUID | None
              ) -> AssetRecord | None:
        if legacy_id is None or self.branch.get(legacy_id) != job.branch_id:
            return None
        return found.get(legacy_id)

    def of(self, job: Job) -> AssetRecord:
        scene = self._mine(job, self.scenes, job.scene_id)
        if job.job_type == "master_asset":
            found = self._mine(job, self.assets, job.asset_id)
        elif job.job_type == "scene_asset":
            instance = (self.instances.get((job.scene_id, job.asset_id))
                        if job.scene_id is not None and scene is not None
                        and job.asset_id is not None else None)
            found = instance or self._mine(job, self.assets, job.asset_id) or scene
        else:
            found = self._mine(job, self.shots, job.shot_id) or scene
        return found or self.films.get(job.branch_id) or self.root_film


def _values(job: Job, target: AssetRecord) -> dict[str, Any]:
    state = job_state(job)
    legacy = {"table": Job.table, "id": str(job.id), "project_id": str(job.project_id),
              "branch_id": str(job.branch_id), "status": job.status,
              "retry_count": job.retry_count, "failure_stage": job.failure_stage,
              "asset_id": str(job.asset_id) if job.asset_id else None,
              "digest": digest(job, str(target.id))}
    return {
        "id": uuid7(), "kind": JOB_KIND, "params": jsonable({**job_params(job), LEGACY: legacy}),
        "asset_id": target.id, "result_asset_id": None, "idempotency_key": job.idempotency_key,
        "priority": 0, "run_after": job.created_at, "locked_by": None, "lease_expires_at": None,
        "cancel_requested": False, "cost": job.cost, "prompt": job.prompt,
        "created_at": job.created_at, "started_at": job.started_at,
        "finished_at": job.completed_at or job.updated_at, "updated_at": job.updated_at,
        **state,
    }
