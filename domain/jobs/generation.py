"""Typed generation: `generateImage` and `regenerate`, resolved against the graph at enqueue.

A request names its target, what kind of image it wants and, optionally, its size, model,
seed, negative prompt, references, style and mask. What it leaves out comes from the graph:
the references are the target's REFERENCE_FOR images, its library source (when that has a
file) and, for a shot's start or end frame, the instances of the shot's scene; the style is the
target's effective style; the size follows the asset type (DESIGN §6). Everything resolved is
written into the job's params, so the job records exactly what it will run with and
`regenerate` repeats it (another seed aside). The enqueue itself is `enqueue_job`: budgets,
STYLE_REQUIRED, idempotency and events are the same as for any job.
"""

import random
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.assets.queries import get_assets
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail
from domain.graph.queries import child_edges_of_type
from domain.graph.vocabulary import RelationshipType
from domain.jobs.queries import get_jobs
from domain.jobs.rules import PROVIDERS, JobKind, image_size
from domain.jobs.use_cases import NewJob, enqueue_job
from domain.records import AssetRecord, JobRecord
from domain.rules import raise_if, text_errors
from domain.scenes.queries import instances_of_scenes, placements
from domain.sync.queries import sync_sources

REFERENCES_MAX = 16
SEED_MAX = 2**31 - 1  # a GraphQL Int
MODEL_MAX = 200
SIZE_RANGE = (16, 4096)


class GenerationKind(StrEnum):
    MASTER = "master"
    SCENE_INSTANCE = "scene_instance"
    START_FRAME = "start_frame"
    END_FRAME = "end_frame"
    INPAINT = "inpaint"


class AspectRatio(StrEnum):
    SQUARE = "square"
    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"
    WIDESCREEN = "widescreen"
    CINEMA = "cinema"


ASPECT_SIZES = {
    AspectRatio.SQUARE: (1024, 1024),
    AspectRatio.PORTRAIT: (768, 1024),
    AspectRatio.LANDSCAPE: (1024, 768),
    AspectRatio.WIDESCREEN: (1280, 720),
    AspectRatio.CINEMA: (1344, 576),
}
FRAMES = (GenerationKind.START_FRAME, GenerationKind.END_FRAME)


@dataclass(frozen=True)
class NewGeneration:
    asset_id: UUID
    kind: GenerationKind = GenerationKind.MASTER
    aspect_ratio: AspectRatio | None = None
    width: int | None = None
    height: int | None = None
    model: str | None = None
    seed: int | None = None
    negative_prompt: str | None = None
    reference_ids: list[UUID] | None = None  # None: from the graph
    style_id: UUID | None = None  # None: the effective style
    mask_id: UUID | None = None
    idempotency_key: str | None = None
    provider: str | None = None
    priority: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Enqueued:
    job: JobRecord
    estimated_cost: Decimal


def _invalid(message: str, field_name: str) -> ErrorDetail:
    return ErrorDetail(ErrorCode.INVALID, message, field_name)


def _size(new: NewGeneration, target: AssetRecord) -> tuple[tuple[int, int] | None,
                                                            list[ErrorDetail]]:
    if new.aspect_ratio is not None and (new.width is not None or new.height is not None):
        return None, [_invalid("give aspectRatio or width and height, not both", "aspectRatio")]
    if (new.width is None) != (new.height is None):
        return None, [_invalid("give width and height together", "width" if new.width is None
                               else "height")]
    if new.width is not None and new.height is not None:
        bad = [_invalid(f"{name} must be {SIZE_RANGE[0]} to {SIZE_RANGE[1]} pixels", name)
               for name, value in (("width", new.width), ("height", new.height))
               if not SIZE_RANGE[0] <= value <= SIZE_RANGE[1]]
        return (new.width, new.height), bad
    if new.aspect_ratio is not None:
        return ASPECT_SIZES[new.aspect_ratio], []
    return image_size(target.type), []


async def _default_references(tx: Transaction, target: AssetRecord, kind: GenerationKind
                              ) -> list[UUID]:
    """The target's REFERENCE_FOR images, its library source with a file, and for a frame the
    instances of the shot's scene; live ones, in that order, each once."""
    found = [edge.child_asset_id for edge in await child_edges_of_type(
        tx, target.id, RelationshipType.REFERENCE_FOR, "image", live_only=True)]
    project_asset = target.instance_of or target.id
    source = (await sync_sources(tx, [project_asset])).get(project_asset)
    if (source is not None and source.source.blob_sha256 is not None
            and source.source.deleted_at is None
            and source.edge.relationship_type == RelationshipType.DERIVED_FROM):
        found.append(source.source.id)
    if kind in FRAMES:
        scene_id = (await placements(tx, [target.id]))[target.id].scene_id
        if scene_id is not None:
            found += [i.asset.id for i in (await instances_of_scenes(tx, [scene_id]))[scene_id]]
    return list(dict.fromkeys(found))[:REFERENCES_MAX]


async def generate_image(tx: Transaction, new: NewGeneration, *, estimate: Decimal,
                         max_queued: int | None = None) -> Enqueued:
    """Validate, resolve the defaults from the graph, and enqueue one generate_image job."""
    named = [new.asset_id, *(new.reference_ids or []),
             *([new.style_id] if new.style_id else []), *([new.mask_id] if new.mask_id else [])]
    found = await get_assets(tx, named)
    target = found.get(new.asset_id)
    if target is None or target.deleted_at is not None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "asset not found", "assetId")
    size, errors = _size(new, target)
    if new.kind in FRAMES and target.type != "shot":
        errors.append(_invalid(f"{new.kind.name} is a shot's frame; {target.name!r} is a "
                               f"{target.type}", "kind"))
    if new.kind == GenerationKind.SCENE_INSTANCE and target.instance_of is None:
        errors.append(_invalid(f"{target.name!r} is not a scene instance", "kind"))
    if new.kind == GenerationKind.INPAINT:
        mask = found.get(new.mask_id) if new.mask_id else None
        if new.mask_id is None:
            errors.append(_invalid("INPAINT needs a maskAssetId", "maskAssetId"))
        elif mask is None or mask.deleted_at is not None or mask.blob_sha256 is None:
            errors.append(_invalid("the mask must be a live asset with a file", "maskAssetId"))
        if target.blob_sha256 is None:
            errors.append(_invalid(f"{target.name!r} has no file to inpaint", "assetId"))
    elif new.mask_id is not None:
        errors.append(_invalid("a mask is only for kind INPAINT", "maskAssetId"))
    if new.reference_ids is not None:
        if len(new.reference_ids) > REFERENCES_MAX:
            errors.append(_invalid(f"at most {REFERENCES_MAX} references", "referenceAssetIds"))
        for index, reference_id in enumerate(new.reference_ids):
            reference = found.get(reference_id)
            if reference is None or reference.deleted_at is not None:
                errors.append(_invalid("no live asset has this ID",
                                       f"referenceAssetIds.{index}"))
    if new.style_id is not None:
        style = found.get(new.style_id)
        if style is None or style.deleted_at is not None or style.type != "style":
            errors.append(_invalid("not a live style asset", "styleId"))
    if new.seed is not None and not 0 <= new.seed <= SEED_MAX:
        errors.append(_invalid(f"seed must be 0 to {SEED_MAX}", "seed"))
    if new.model is not None and not 0 < len(new.model) <= MODEL_MAX:
        errors.append(_invalid(f"model must be 1 to {MODEL_MAX} characters", "model"))
    if new.provider is not None and new.provider not in PROVIDERS:
        errors.append(_invalid(f"unknown provider; one of {', '.join(PROVIDERS)}", "provider"))
    errors += text_errors(new.negative_prompt, "negativePrompt")
    raise_if(errors)
    assert size is not None
    references = (list(dict.fromkeys(new.reference_ids)) if new.reference_ids is not None
                  else await _default_references(tx, target, new.kind))
    style_id = new.style_id or (await placements(tx, [target.id]))[target.id].style_id
    params: dict[str, Any] = {
        **new.extra, "generation_kind": new.kind, "width": size[0], "height": size[1],
        "model": new.model, "seed": new.seed if new.seed is not None
        else random.randint(0, SEED_MAX), "negative_prompt": new.negative_prompt,
        "reference_ids": [str(r) for r in references],
        "style_id": str(style_id) if style_id else None,
        "mask_id": str(new.mask_id) if new.mask_id else None,
    }
    if new.provider is not None:
        params["provider"] = new.provider
    job = await enqueue_job(tx, NewJob(
        kind=JobKind.GENERATE_IMAGE, asset_id=target.id, params=params,
        idempotency_key=new.idempotency_key, priority=new.priority, estimated_cost=estimate),
        max_queued=max_queued)
    return Enqueued(job, estimate)


async def regenerate(tx: Transaction, asset_id: UUID, *, seed: int | None,
                     estimate_of: Any, max_queued: int | None = None) -> Enqueued:
    """Queue the generation that made this image again, with the same inputs (and `seed`,
    when given, instead of the one it used)."""
    image = (await get_assets(tx, [asset_id])).get(asset_id)
    if image is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "asset not found", "assetId")
    job_id = image.generation_metadata.get("job_id")
    job = (await get_jobs(tx, [UUID(job_id)])).get(UUID(job_id)) if job_id else None
    if job is None or job.asset_id is None:
        raise DomainError.of(ErrorCode.INVALID, f"{image.name!r} was not generated by a job of "
                             "this workspace (or its target is gone)", "assetId")
    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise DomainError.of(ErrorCode.INVALID, f"seed must be 0 to {SEED_MAX}", "seed")
    params = {**job.params, **({"seed": seed} if seed is not None else {})}
    estimate: Decimal = estimate_of(params.get("provider"))
    again = await enqueue_job(tx, NewJob(
        kind=JobKind.GENERATE_IMAGE, asset_id=job.asset_id, params=params,
        priority=job.priority, max_attempts=job.max_attempts, estimated_cost=estimate),
        max_queued=max_queued)
    return Enqueued(again, estimate)
