"""What a `generate_image` job does: prompt -> provider -> blob -> image asset.

Three steps: `prepare` reads the target (its prompt, style and size), the provider runs, then
`complete` stores the image asset, links it `generated_from` the target, sets the target's
file and finishes the job. The caller (`api.worker`) gives `prepare` and `complete` a short
transaction each and holds none while the provider runs.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.assets.queries import get_assets
from domain.assets.use_cases import NewAsset, create_asset, update_asset
from domain.assets.vocabulary import AssetSource
from domain.db import Transaction
from domain.errors import DomainError
from domain.files import keep_blob
from domain.graph.use_cases import add_edge
from domain.graph.vocabulary import RelationshipType
from domain.jobs import use_cases
from domain.jobs.providers import (
    GeneratedImage,
    ImageRequest,
    PermanentProviderError,
    Provider,
)
from domain.jobs.rules import image_size
from domain.records import AssetRecord, JobRecord
from domain.scenes.queries import placements
from domain.storage import BlobStore, PendingBlob
from domain.uploads import image_facts_of

# What a typed generation (domain.jobs.generation) put in the job's params and the image keeps.
PROVENANCE_KEYS = ("generation_kind", "model", "seed", "negative_prompt", "reference_ids",
                   "style_id", "mask_id")


@dataclass(frozen=True)
class Generation:
    request: ImageRequest
    provider: Provider


def _dimension(params: dict[str, Any], key: str, default: int) -> int:
    value = params.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 16 <= value <= 4096:
        raise PermanentProviderError(f"params.{key} must be an integer from 16 to 4096")
    return value


def image_prompt(target: AssetRecord, style: AssetRecord | None, explicit: object) -> str:
    """What the provider is asked for: the explicit prompt, else the target's generation
    prompt, description or name; a scene instance's status tags (`muddy`, `torn shirt`); the
    effective style's prompt suffix (else its description)."""
    parts = [str(explicit or target.generation_prompt or target.description or target.name)]
    if target.instance_of is not None and target.tags:
        parts.append(", ".join(target.tags))
    if style is not None:
        parts.append(str(style.metadata.get("prompt_suffix") or style.description))
    return ", ".join(part for part in parts if part)


async def prepare(tx: Transaction, job: JobRecord, *, providers: dict[str, Provider],
                  default_provider: str, store: BlobStore) -> Generation:
    """The provider and its request, read in the job's workspace (a read-only `tx`)."""
    params = dict(job.params)
    name = params.get("provider") or default_provider
    provider = providers.get(name)
    if provider is None:
        raise PermanentProviderError(f"provider {name!r} is not configured here")
    target = (await get_assets(tx, [job.asset_id])).get(job.asset_id) if job.asset_id else None
    if target is None or target.deleted_at is not None:
        raise PermanentProviderError("the job's asset is gone")
    # A typed generation resolved its style at enqueue (`style_id`, maybe null); a plain
    # generate_image job takes the effective style now.
    style_id = (UUID(params["style_id"]) if params.get("style_id")
                else None if "style_id" in params
                else (await placements(tx, [target.id]))[target.id].style_id)
    style = (await get_assets(tx, [style_id])).get(style_id) if style_id else None
    prompt = image_prompt(target, style, params.get("prompt"))
    width, height = image_size(target.type)
    source_image = None
    if provider.name == "thumbnail" and target.blob_sha256 \
            and await store.exists(target.blob_sha256):
        source_image = await store.read(target.blob_sha256)
    request = ImageRequest(
        prompt=prompt, width=_dimension(params, "width", width),
        height=_dimension(params, "height", height), params=params,
        reference_image_url=target.url, source_image=source_image)
    return Generation(request=request, provider=provider)


def stage_image(store: BlobStore, image: GeneratedImage, *, max_pixels: int
                ) -> tuple[PendingBlob, dict[str, Any]]:
    """Write the provider's answer to a pending file (no transaction needed) and read its
    image facts; an answer that is no image, or too large a one, fails the job for good."""
    blob = store.put_bytes(image.data)
    try:
        facts = image_facts_of(blob.path, max_pixels=max_pixels)
    except DomainError as error:
        store.discard(blob)
        raise PermanentProviderError(f"the provider's answer: {error}") from None
    if not facts:
        store.discard(blob)
        raise PermanentProviderError("the provider's answer is not an image")
    return blob, facts


async def complete(tx: Transaction, job: JobRecord, generation: Generation,
                   image: GeneratedImage, blob: PendingBlob, facts: dict[str, Any], *,
                   store: BlobStore, worker: str) -> JobRecord:
    """Store the result in the job's workspace; raises `NotOurs` (for the caller to roll it
    all back) when the job stopped being ours meanwhile (lease lost, cancelled)."""
    await keep_blob(tx, store, blob, image.mime_type)
    target_id = job.asset_id
    assert target_id is not None
    target = (await get_assets(tx, [target_id]))[target_id]
    metadata = {**facts, **({"placeholder": True} if image.metadata.get("placeholder")
                           else {})}
    params = generation.request.params
    references = [UUID(r) for r in params.get("reference_ids") or []]
    result = await create_asset(tx, NewAsset(
        type="image", name=f"{target.name} (generated)"[:255],
        generation_prompt=generation.request.prompt, mime_type=image.mime_type,
        size=blob.size, metadata=metadata, source=AssetSource.GENERATION,
        blob_sha256=blob.sha256, generation_cost=image.cost,
        generation_metadata={
            **image.metadata, "provider": generation.provider.name, "job_id": str(job.id),
            "prompt": generation.request.prompt, "width": generation.request.width,
            "height": generation.request.height, "cost": str(image.cost),
            **{key: params.get(key) for key in PROVENANCE_KEYS if key in params}}))
    await add_edge(tx, parent_id=target_id, child_id=result.id,
                   relationship_type=RelationshipType.GENERATED_FROM)
    # Each reference it was given stands REFERENCE_FOR the new image (if still there).
    used = await get_assets(tx, references)
    for reference_id in references:
        if reference_id in used and used[reference_id].deleted_at is None:
            await add_edge(tx, parent_id=result.id, child_id=reference_id,
                           relationship_type=RelationshipType.REFERENCE_FOR)
    await update_asset(tx, target_id, {"blob_sha256": blob.sha256,
                                       "mime_type": image.mime_type, "size": blob.size},
                       reason=f"generated by job {job.id}")
    done = await use_cases.succeed(tx, job, worker=worker, cost=image.cost,
                                   result_asset_id=result.id,
                                   prompt=generation.request.prompt)
    if done is None:
        raise NotOurs
    return done


class NotOurs(Exception):
    """The job was cancelled or reaped meanwhile: its result must not be kept."""
