"""Pure rules of the legacy import: how legacy values become the graph's, and which legacy
rows cannot be imported as they stand. No I/O; tests/legacy/test_mapping.py covers them.
"""

import hashlib
import json
from collections.abc import Hashable, Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from domain.events import json_default
from domain.jobs.rules import MAX_ATTEMPTS, JobStatus
from domain.legacy.rows import Job, LegacyRow, Scene, Shot, StyleCapsule
from domain.rules import NAME_MAX, TAG_MAX, TAGS_MAX, normalize_tags

K = TypeVar("K", bound=Hashable)

IMPORT_FORMAT = 1
"""Part of every digest: a change of what the import writes for a row changes its digest."""

ASSET_TYPES = {"character": "character_ref", "prop": "prop", "location": "location"}
"""Legacy asset types (global_assets' CHECK lists these three) and the graph's."""


def asset_type(legacy_type: str) -> str | None:
    """The graph's type of a legacy asset type, None for one it does not know."""
    return ASSET_TYPES.get(legacy_type.strip().lower())


def digest(row: LegacyRow, *more: Any) -> str:
    """What the import last saw of a row (its columns and, e.g., its file's hash): a run
    compares it to know which legacy rows changed since. A hash of the canonical JSON of
    `[columns, *more]`, the row's part made once per row (`LegacyRow.canonical`, as it is
    read)."""
    tail = json.dumps(more, sort_keys=True, separators=(",", ":"), default=json_default)
    canonical = f"[{row.canonical},{tail[1:]}" if more else f"[{row.canonical}]"
    return hashlib.sha256(f"{IMPORT_FORMAT}:{canonical}".encode()).hexdigest()[:20]


STORAGE_PREFIX = "/storage/v1/object/public/assets/"


def object_path(image_key_url: str) -> str | None:
    """The object path in the legacy bucket of an `image_key_url`: the public URL's tail, or
    the bare object path older rows hold. None for a URL of anything else, or a path that
    would leave the export's directory."""
    url = image_key_url.strip()
    parsed = urlsplit(url)
    if parsed.scheme or parsed.netloc:
        if parsed.scheme not in ("http", "https") or STORAGE_PREFIX not in parsed.path:
            return None
        url = parsed.path.split(STORAGE_PREFIX, 1)[1]
    parts = PurePosixPath(unquote(url)).parts
    parts = parts[1:] if parts[:1] == ("/",) else parts
    if not parts or any(part in ("..", ".") for part in parts):
        return None
    return "/".join(parts)


# -- values the graph refuses ------------------------------------------------------------------

def clean_name(name: str, fallback: str) -> tuple[str, str | None]:
    """A name the graph takes, and what was corrected (None: nothing)."""
    if not name.strip():
        return fallback, f"blank name, imported as {fallback!r}"
    if len(name) > NAME_MAX:
        return name[:NAME_MAX], f"name of {len(name)} characters cut to {NAME_MAX}"
    return name, None


def clean_tags(tags: Iterable[str] | None) -> tuple[list[str], list[str]]:
    """Status tags the graph takes (trimmed, each once, 1 to 64 characters, at most 100), and
    the ones left out."""
    kept, dropped = [], []
    for tag in tags or ():
        if tag.strip() and len(tag.strip()) <= TAG_MAX:
            kept.append(tag.strip())
        else:
            dropped.append(tag)
    kept = normalize_tags(kept)
    return kept[:TAGS_MAX], dropped + kept[TAGS_MAX:]


# -- sync state ----------------------------------------------------------------------------------

OVERRIDES = {"name": ("name",), "description": ("description",),
             "image_key_url": ("url", "file")}
"""Legacy override names and the graph's sync fields (docs/decisions.md)."""


def overridden_fields(legacy: Iterable[str] | None) -> list[str]:
    """The sync fields of a legacy `overridden_fields`; names of no synced field (e.g. the
    style, which is not synced) are left out, and kept raw in `metadata.legacy`."""
    return sorted({f for name in legacy or () for f in OVERRIDES.get(name, ())})


# -- inheritance ---------------------------------------------------------------------------------

def cycles(parents: Mapping[K, K | None]) -> list[list[K]]:
    """Each cycle of a parent relation once, in walk order, from its smallest member (so the
    answer does not depend on where the walk began)."""
    done: set[K] = set()
    found: list[list[K]] = []
    for start in sorted(parents, key=str):
        path: list[K] = []
        at: dict[K, int] = {}
        node: K | None = start
        while node is not None and node in parents and node not in done and node not in at:
            at[node] = len(path)
            path.append(node)
            node = parents[node]
        if node is not None and node in at:
            cycle = path[at[node]:]
            first = cycle.index(min(cycle, key=str))
            found.append(cycle[first:] + cycle[:first])
        done.update(path)
    return found


# -- metadata of structure assets ---------------------------------------------------------------

def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def style_metadata(capsule: StyleCapsule) -> dict[str, Any]:
    return _present({"capsule_type": capsule.capsule_type, "prompt_suffix": capsule.style_prompt})


def scene_metadata(scene: Scene) -> dict[str, Any]:
    return _present({
        "script_excerpt": scene.script_excerpt, "end_state_summary": scene.end_state_summary,
        "status": scene.status, "continuity_risk": scene.continuity_risk,
        "end_frame_thumbnail": scene.end_frame_thumbnail,
        "shot_list_locked_at": (scene.shot_list_locked_at.isoformat()
                                if scene.shot_list_locked_at else None)})


def shot_metadata(shot: Shot) -> dict[str, Any]:
    return _present({"sequence": shot.shot_order if shot.shot_order >= 0 else None,
                     "duration": shot.duration if (shot.duration or 0) >= 0 else None,
                     "camera_angle": shot.camera, "dialogue": shot.dialogue})


# -- jobs ------------------------------------------------------------------------------------------

JOB_KIND = "generate_image"
"""Every legacy job generated an image; its `job_type` stays in `params.job_type`."""

NOT_RUN = ("NOT_RUN", "queued in the legacy app when imported: history only, never run here")
INTERRUPTED = ("INTERRUPTED", "running in the legacy app when imported: history only")


def job_state(job: Job) -> dict[str, Any]:
    """Status, attempts and error of a legacy job as a finished job of the graph: the import
    is history, so a legacy job still queued or running is imported finished (CANCELLED,
    FAILED) and never claimed by a worker. `params.legacy.status` keeps the legacy status."""
    if job.status == "completed":
        status, code, message = JobStatus.SUCCEEDED, None, job.error_message
    elif job.status == "queued":
        status, (code, message) = JobStatus.CANCELLED, NOT_RUN
    elif job.status == "processing":
        status, (code, message) = JobStatus.FAILED, INTERRUPTED
    else:
        status = JobStatus.FAILED
        code, message = (job.failure_stage or "unknown").upper(), job.error_message
    return {"status": status, "error_code": code, "error_message": message,
            "error_class": None if code is None else "legacy",
            "attempts": max(0, job.attempt_count),
            "max_attempts": min(MAX_ATTEMPTS, max(3, job.attempt_count)),
            "progress": 1 if status == JobStatus.SUCCEEDED else 0}


def job_params(job: Job) -> dict[str, Any]:
    return _present({"job_type": job.job_type, "prompt": job.prompt, "width": job.width,
                     "height": job.height, "reference_image_url": job.reference_image_url,
                     "storage_path": job.storage_path, "public_url": job.public_url,
                     "visual_style_capsule_id": job.visual_style_capsule_id})
