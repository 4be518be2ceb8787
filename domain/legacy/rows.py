"""The legacy rows as read (one record per legacy table), and the bundles the import takes.

Field names are the legacy columns' (tests/fixtures/legacy_schema.sql). A bundle is what one
unit of the import needs: a user's library, or a project with all its branches; the reader
(`domain.legacy.source`) builds one at a time, so memory holds one project, not the studio.
"""

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, Self
from uuid import UUID

from domain.events import json_default
from domain.records import built

_COLUMNS: dict[type, tuple[str, ...]] = {}
"""Each legacy table's columns, read once (every row's digest reads them)."""


class LegacyRow:
    """A legacy row: built from a result row holding its columns."""

    table: ClassVar[str]
    id: UUID  # every legacy table's key

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        found = _COLUMNS.get(cls)
        if found is None:
            found = _COLUMNS[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
        return found

    @classmethod
    def from_mapping(cls, mapping: Any) -> Self:
        return built(cls, {name: mapping[name] for name in cls.columns()})

    @cached_property
    def canonical(self) -> str:
        """The row's columns as canonical JSON (keys sorted, values as `jsonable` gives
        them): what its digest hashes (`domain.legacy.mapping.digest`)."""
        return json.dumps({name: getattr(self, name) for name in self.columns()},
                          sort_keys=True, separators=(",", ":"), default=json_default)


@dataclass(frozen=True)
class User(LegacyRow):
    table: ClassVar[str] = "users"
    id: UUID
    email: str
    created_at: datetime


@dataclass(frozen=True)
class StyleCapsule(LegacyRow):
    table: ClassVar[str] = "style_capsules"
    id: UUID
    user_id: UUID
    name: str
    capsule_type: str
    description: str
    style_prompt: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class GlobalAsset(LegacyRow):
    table: ClassVar[str] = "global_assets"
    id: UUID
    user_id: UUID
    name: str
    asset_type: str
    description: str
    image_key_url: str | None
    visual_style_capsule_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Project(LegacyRow):
    table: ClassVar[str] = "projects"
    id: UUID
    user_id: UUID
    name: str
    active_branch_id: UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Branch(LegacyRow):
    table: ClassVar[str] = "branches"
    id: UUID
    project_id: UUID
    name: str
    is_main: bool
    parent_branch_id: UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Scene(LegacyRow):
    table: ClassVar[str] = "scenes"
    id: UUID
    branch_id: UUID
    scene_number: int
    slug: str
    script_excerpt: str | None
    status: str
    end_state_summary: str | None
    end_frame_thumbnail: str | None
    continuity_risk: str | None
    shot_list_locked_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Shot(LegacyRow):
    table: ClassVar[str] = "shots"
    id: UUID
    scene_id: UUID
    shot_id: str
    shot_order: int
    duration: int | None
    action: str | None
    dialogue: str | None
    camera: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ProjectAsset(LegacyRow):
    table: ClassVar[str] = "project_assets"
    id: UUID
    project_id: UUID
    branch_id: UUID
    global_asset_id: UUID | None
    name: str
    asset_type: str
    description: str
    image_key_url: str | None
    visual_style_capsule_id: UUID | None
    locked: bool
    source_version: int | None
    last_synced_at: datetime | None
    overridden_fields: list[str] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Instance(LegacyRow):
    table: ClassVar[str] = "scene_asset_instances"
    id: UUID
    scene_id: UUID
    project_asset_id: UUID
    description_override: str | None
    image_key_url: str | None
    status_tags: list[str] | None
    carry_forward: bool | None
    inherited_from_instance_id: UUID | None
    effective_description: str | None
    created_at: datetime | None
    updated_at: datetime | None
    modification_count: int | None
    last_modified_field: str | None
    modification_reason: str | None


@dataclass(frozen=True)
class Job(LegacyRow):
    table: ClassVar[str] = "image_generation_jobs"
    id: UUID
    project_id: UUID
    branch_id: UUID
    job_type: str
    status: str
    prompt: str
    visual_style_capsule_id: UUID | None
    width: int | None
    height: int | None
    asset_id: UUID | None
    scene_id: UUID | None
    shot_id: UUID | None
    reference_image_url: str | None
    idempotency_key: str | None
    attempt_count: int
    retry_count: int
    failure_stage: str | None
    error_message: str | None
    cost: Decimal
    storage_path: str | None
    public_url: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime


TABLES = (User, StyleCapsule, GlobalAsset, Project, Branch, Scene, Shot, ProjectAsset, Instance,
          Job)
"""Every legacy table the import reads, in the order it reports them."""


@dataclass(frozen=True)
class LibraryRows:
    """One legacy user's library: the user, their style capsules and global assets."""

    user: User
    capsules: list[StyleCapsule]
    assets: list[GlobalAsset]


@dataclass(frozen=True)
class ProjectRows:
    """One legacy project: every branch with its scenes, shots, project assets, scene asset
    instances (those of its scenes or of its project assets, orphans included) and jobs."""

    project: Project
    branches: list[Branch]
    scenes: list[Scene] = field(default_factory=list)
    shots: list[Shot] = field(default_factory=list)
    assets: list[ProjectAsset] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)

    def rows_read(self) -> dict[str, int]:
        return {"projects": 1, "branches": len(self.branches), "scenes": len(self.scenes),
                "shots": len(self.shots), "project_assets": len(self.assets),
                "scene_asset_instances": len(self.instances),
                "image_generation_jobs": len(self.jobs)}
