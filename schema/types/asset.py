"""The `Asset` type: fields from the record, relations through the request's dataloaders."""

import asyncio
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Optional
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from domain.assets.vocabulary import AssetOrigin  # a GraphQL enum: see schema.types.common
from domain.collections.queries import COLLECTION_KEY
from domain.events import EVENT_KEY
from domain.file_urls import EXPIRES_IN_MAX, EXPIRES_IN_MIN
from domain.graph.queries import EDGE_KEY
from domain.graph.vocabulary import EdgeDirection
from domain.jobs.queries import JOB_KEY
from domain.records import AssetRecord
from domain.scenes.queries import INSTANCE_KEY
from domain.scenes.vocabulary import StaleReason
from domain.sync.rules import INSTANCE_FLAG
from domain.thumbnails import ThumbnailSize, thumbnailable
from schema.context import Info
from schema.dataloaders import (
    CollectionPageArgs,
    EdgeArgs,
    HistoryArgs,
    InstancePageArgs,
    JobPageArgs,
    LineageArgs,
)
from schema.inputs import After, First, bad_input, decode_cursor, page_size, to_global_id
from schema.types.common import (
    LineageDirection,
    Node,
    PageInfo,
    RelationshipType,
    distinct_types,
    enum_type,
)
from schema.types.connection import connection
from schema.types.event import EventConnection, EventEdge, GraphEvent
from schema.types.job import AssetJobsConnection, Job, JobEdge, JobStatus
from schema.types.record_fields import build
from schema.types.relationship import Relationship, RelationshipConnection, RelationshipEdge
from schema.types.sync import SyncStatus

if TYPE_CHECKING:
    from schema.types.collection import AssetCollectionsConnection

RelationshipTypes = Annotated[list[RelationshipType] | None, strawberry.argument(
    description="Only edges of these types; null for all.")]
CollectionsOfAsset = Annotated[
    "AssetCollectionsConnection", strawberry.lazy("schema.types.collection")
]


@strawberry.type(description="One asset reached by a lineage walk, and how.")
class LineageStep:
    depth: int = strawberry.field(
        description="Edges between the start and this asset along the shortest path: 1 for a "
                    "direct parent (or child).")
    asset: "Asset" = strawberry.field(description="The asset reached (live assets only).")
    relationship: Relationship = strawberry.field(
        description="The edge this step arrived by.")


@strawberry.type(description="The assets upstream or downstream of an asset, nearest first.")
class LineageResult:
    steps: list[LineageStep] = strawberry.field(
        description="Each asset once, at its shortest depth; by depth, then by edge order.")
    is_partial: bool = strawberry.field(
        description="True when maxDepth or first cut the walk short."
    )


@strawberry.type(description="Whether an asset may be deleted without `force`, and what "
                             "stands in the way.")
class DeleteCheck:
    allowed: bool = strawberry.field(
        description="True when the asset is unlocked and no live asset depends on it.")
    dependents: list["Asset"] = strawberry.field(
        description="Live assets DERIVED_FROM or VARIANT_OF this one: deleting it would "
                    "leave them without their source.")
    dependent_count: int = strawberry.field(description="The length of `dependents`.")


EXPIRES_IN_DEFAULT = 3600
ExpiresIn = Annotated[int, strawberry.argument(
    description=f"Seconds it stays valid, {EXPIRES_IN_MIN} to {EXPIRES_IN_MAX} (7 days).")]


def _checked(expires_in: int) -> int:
    if not EXPIRES_IN_MIN <= expires_in <= EXPIRES_IN_MAX:
        raise bad_input(f"expiresIn must be between {EXPIRES_IN_MIN} and {EXPIRES_IN_MAX} "
                        f"seconds, got {expires_in}", "expiresIn")
    return expires_in


enum_type(ThumbnailSize, name="ThumbnailSize",
          description="How large a thumbnail is: the length of its longest side.", values={
              ThumbnailSize.SMALL: "128 pixels: lists and grids.",
              ThumbnailSize.MEDIUM: "512 pixels: a card or a preview.",
              ThumbnailSize.LARGE: "1024 pixels: a lightbox.",
          })


@strawberry.type(description="Content stored by this service (uploaded or generated).")
class AssetFile:
    sha256: str = strawberry.field(
        description="SHA-256 of the content, lowercase hex: its address in the store.")
    size: int | None = strawberry.field(description="Length in bytes.")
    mime_type: str | None = strawberry.field(
        description="Media type the uploader declared, e.g. image/png; null if none.")

    @strawberry.field(description="Absolute URL to GET the content from with the same bearer "
                                  "token (ETag, Range): under ASSETGRAPH_PUBLIC_URL, else the "
                                  "request's own scheme and host.")
    def download_url(self, info: Info) -> str:
        return info.context.files.download(self.sha256)

    @strawberry.field(description="Absolute URL that serves the content to anyone holding it, "
                                  "no header needed (for <img src>, <video src>, a link), "
                                  "until it expires; signed for this workspace. Content in an "
                                  "S3 bucket is redirected to the bucket's presigned URL.")
    def url(self, info: Info, expires_in: ExpiresIn = EXPIRES_IN_DEFAULT) -> str:
        return info.context.files.signed(self.sha256, expires_in=_checked(expires_in),
                                         now=time.time())

    @strawberry.field(description="Signed URL (as `url`) of a WebP thumbnail of an image, its "
                                  "longest side at most the size's and never upscaled, made "
                                  "once per content and size on its first request; null for "
                                  "anything but an image (video, audio and other files get "
                                  "none).")
    def thumbnail(
        self, info: Info,
        size: Annotated[ThumbnailSize, strawberry.argument(
            description="SMALL (128 px), MEDIUM (512 px) or LARGE (1024 px): its longest "
                        "side.")],
        expires_in: ExpiresIn = EXPIRES_IN_DEFAULT,
    ) -> str | None:
        expires_in = _checked(expires_in)
        if not thumbnailable(self.mime_type):
            return None
        return info.context.files.thumbnail(self.sha256, size, expires_in=expires_in,
                                            now=time.time())



@strawberry.type(description="Anything a production is made of (script, image, shot, scene, "
                             "film, character reference, style, ...), linked to others by "
                             "typed, ordered relationships.")
class Asset(Node):
    record: strawberry.Private[AssetRecord]
    id: strawberry.ID = strawberry.field(
        description="Global ID: opaque, stable, unique across types; pass it to `node(id:)`.")
    type: str = strawberry.field(
        description="One of script, text, audio, video, image, shot, film, character_ref, "
                    "scene, style, prop, location; it decides which metadata is valid.")
    name: str = strawberry.field(description="Display name; not unique.")
    description: str = strawberry.field(
        description="Free text; empty when none. Generation uses it when generationPrompt is "
                    "empty.")
    generation_prompt: str = strawberry.field(
        description="The prompt image generation uses; empty when none.")
    url: str | None = strawberry.field(
        description="Where the content lives outside this service, if anywhere. Content "
                    "stored here is under `file`.")
    mime_type: str | None = strawberry.field(description="Media type, e.g. image/png.")
    size: int | None = strawberry.field(description="Content length in bytes.")
    duration: float | None = strawberry.field(description="Length in seconds (audio, video, "
                                                          "shots, scenes).")
    metadata: JSON = strawberry.field(
        description="Type-specific attributes, validated on write (image: width, height, "
                    "format, thumbnail_url; video: width, height, format, fps, codec; ...).")
    tags: list[str] = strawberry.field(description="Free labels, in the order given.")
    source: str = strawberry.field(
        description="How it came to be: upload, generation, import or derivative (a clone).")
    generation_cost: float = strawberry.field(
        description="What generating it cost, in the provider's currency units; 0 if none.")
    generation_metadata: JSON = strawberry.field(
        description="What the generator reported: provider, model, seed, ...")
    locked: bool = strawberry.field(
        description="A locked asset refuses edits and deletion (LOCKED) until unlocked.")
    version: int = strawberry.field(
        description="1 at creation, +1 on every edit: pass it as expectedVersion to refuse "
                    "lost updates.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")
    deleted_at: datetime | None = strawberry.field(
        description="When it was soft-deleted; null while live. restoreAsset undoes it.")
    created_by: str | None = strawberry.field(
        description="The actor (token name) that created it; null if unknown.")

    @classmethod
    def from_record(cls, r: AssetRecord) -> "Asset":
        return build(
            cls, r,
            id=strawberry.ID(to_global_id("Asset", r.id)),
            duration=float(r.duration) if r.duration is not None else None,
            generation_cost=float(r.generation_cost),
        )

    @strawberry.field(description="The content stored by this service; null when none was "
                                  "uploaded or generated.")
    def file(self) -> AssetFile | None:
        r = self.record
        if r.blob_sha256 is None:
            return None
        return AssetFile(sha256=r.blob_sha256, size=r.size, mime_type=r.mime_type)

    @strawberry.field(description="On an image made by a generation job: what it was made "
                                  "from; null on other assets.")
    def generation(self) -> Optional["Generation"]:
        return Generation.of(self.record.generation_metadata)

    @strawberry.field(description="Edges to this asset's live parents, in link order.")
    async def parents(
        self, info: Info, types: RelationshipTypes = None, first: First = None,
        after: After = None,
    ) -> RelationshipConnection:
        return await _edges(info, self.record.id, children=False, types=types, first=first,
                            after=after)

    @strawberry.field(description="Edges to this asset's live children, by sequence.")
    async def children(
        self, info: Info, types: RelationshipTypes = None, first: First = None,
        after: After = None,
    ) -> RelationshipConnection:
        return await _edges(info, self.record.id, children=True, types=types, first=first,
                            after=after)

    @strawberry.field(description="Ancestors (UPSTREAM) or descendants, nearest first.")
    async def lineage(
        self, info: Info,
        direction: Annotated[LineageDirection, strawberry.argument(
            description="UPSTREAM for ancestors, DOWNSTREAM for descendants.")],
        types: RelationshipTypes = None,
        max_depth: Annotated[int, strawberry.argument(
            description="How many edges deep to walk, 1 to 50.")] = 10,
        first: Annotated[int | None, strawberry.argument(
            description="At most this many steps, 0 to 100; default 100.")] = None,
    ) -> LineageResult:
        limits = info.context.limits
        if not 1 <= max_depth <= limits.max_lineage_depth:
            raise bad_input(
                f"maxDepth must be between 1 and {limits.max_lineage_depth}, got {max_depth}",
                "maxDepth",
            )
        args = LineageArgs(
            direction=direction,
            types=distinct_types(types),
            max_depth=max_depth,
            first=page_size(first, limits.max_page_size),
        )
        lineage = await info.context.loaders.lineage_by_asset.load((self.record.id, args))
        return LineageResult(
            steps=[
                LineageStep(
                    depth=s.depth,
                    asset=Asset.from_record(s.asset),
                    relationship=Relationship.from_record(s.relationship),
                )
                for s in lineage.steps
            ],
            is_partial=lineage.is_partial,
        )

    @strawberry.field(description="The collections holding this asset, oldest first.")
    async def collections(
        self, info: Info, first: First = None, after: After = None
    ) -> CollectionsOfAsset:
        from schema.types.collection import (
            AssetCollectionsConnection,
            Collection,
            CollectionEdge,
        )

        cursor = decode_cursor(after, *COLLECTION_KEY)
        args = CollectionPageArgs(
            first=page_size(first, info.context.limits.max_page_size), after=cursor
        )
        page = await info.context.loaders.collections_by_asset.load((self.record.id, args))
        return connection(
            AssetCollectionsConnection, page,
            lambda c, r: CollectionEdge(cursor=c, node=Collection.from_record(r)),
            has_previous=cursor is not None,
        )

    @strawberry.field(description="Whether deleteAsset would succeed without force.")
    async def can_delete(self, info: Info) -> DeleteCheck:
        dependents = await info.context.loaders.dependents_by_asset.load(self.record.id)
        return DeleteCheck(
            allowed=not dependents and not self.record.locked,
            dependents=[Asset.from_record(d) for d in dependents],
            dependent_count=len(dependents),
        )

    @strawberry.field(description="This asset's events (created, updated with the changes, "
                                  "deleted, restored, synced, ...), oldest first.")
    async def history(
        self, info: Info, first: First = None, after: After = None
    ) -> EventConnection:
        cursor = decode_cursor(after, *EVENT_KEY)
        args = HistoryArgs(
            first=page_size(first, info.context.limits.max_page_size), after=cursor
        )
        page = await info.context.loaders.history_by_asset.load((self.record.id, args))
        return connection(
            EventConnection, page, lambda c, e: EventEdge(cursor=c, node=GraphEvent.from_record(e)),
            has_previous=cursor is not None,
        )

    @strawberry.field(description="Null unless the asset has a sync source (clone, instance).")
    async def sync(self, info: Info) -> SyncStatus | None:
        found = await info.context.loaders.sync_source_by_asset.load(self.record.id)
        return SyncStatus.of(self.record, found) if found else None

    @strawberry.field(description="Where the asset stands in the production: a scene "
                                  "INSTANCE, else a LIBRARY member, else a PROJECT member, "
                                  "else OTHER.")
    async def origin(self, info: Info) -> AssetOrigin:
        return await info.context.loaders.origin_by_asset.load(self.record.id)

    @strawberry.field(description="On a scene instance: whether the next scene inherits its "
                                  "state (else it resets to the project asset).")
    def carry_forward(self) -> bool | None:
        value = self.record.metadata.get(INSTANCE_FLAG)
        return value if isinstance(value, bool) else None

    @strawberry.field(description="On a scene: the instances used in it, by project asset "
                                  "name.",
                      deprecation_reason="Unpaginated: use instancesConnection.")
    async def instances(self, info: Info) -> list["Asset"]:
        found = await info.context.loaders.instances_by_scene.load(self.record.id)
        return [Asset.from_record(i.asset) for i in found]

    @strawberry.field(description="On a scene: the live instances used in it; on a project "
                                  "asset: its live instances in every scene. Oldest first "
                                  "(the order inheritance made them in).")
    async def instances_connection(self, info: Info, first: First = None, after: After = None
                                   ) -> "AssetInstancesConnection":
        cursor = decode_cursor(after, *INSTANCE_KEY)
        args = InstancePageArgs(first=page_size(first, info.context.limits.max_page_size),
                                after=cursor)
        page = await info.context.loaders.instances_by_owner.load((self.record.id, args))
        return connection(
            AssetInstancesConnection, page,
            lambda c, r: AssetEdge(cursor=c, node=Asset.from_record(r)),
            has_previous=cursor is not None)

    @strawberry.field(description="On a scene instance: the instance it was inherited from, "
                                  "and whether it still reflects it; null on other assets.")
    async def inheritance(self, info: Info) -> Optional["SceneInheritance"]:
        r = self.record
        if r.scene_id is None:
            return None
        loaders = info.context.loaders
        found, neighbours = await asyncio.gather(
            loaders.inherited_from_by_instance.load(r.id),
            loaders.neighbours_by_scene.load(r.scene_id))
        if found is None:
            return SceneInheritance(from_instance=None, from_scene=None, stale=False,
                                    stale_reason=None)
        prior = found.instance
        reason = None
        if prior.scene_id != neighbours.previous_id:
            reason = StaleReason.SCENE_ORDER_CHANGED
        elif prior.deleted_at is not None:
            reason = StaleReason.SOURCE_REMOVED
        elif found.edge.metadata.get("from_version", prior.version) != prior.version:
            reason = StaleReason.SOURCE_CHANGED
        return SceneInheritance(from_instance=Asset.from_record(prior),
                                from_scene=await _asset(info, prior.scene_id),
                                stale=reason is not None, stale_reason=reason)

    @strawberry.field(description="On a scene: its 1-based position among its film's live "
                                  "scenes; on a shot or a scene instance: its scene's. Null "
                                  "when not in a film.")
    async def scene_number(self, info: Info) -> int | None:
        placed = await info.context.loaders.placement_by_asset.load(self.record.id)
        return placed.scene_number

    @strawberry.field(description="On a scene, a shot or a scene instance: the film it is "
                                  "part of (through its scene); on a film, itself.")
    async def film(self, info: Info) -> Optional["Asset"]:
        placed = await info.context.loaders.placement_by_asset.load(self.record.id)
        return await _asset(info, placed.film_id)

    @strawberry.field(description="On a shot or a scene instance: its scene; on a scene, "
                                  "itself.")
    async def scene(self, info: Info) -> Optional["Asset"]:
        placed = await info.context.loaders.placement_by_asset.load(self.record.id)
        return await _asset(info, placed.scene_id)

    @strawberry.field(description="The style generation uses for this asset: the nearest of a "
                                  "style set on the asset (setStyle), on its project asset "
                                  "(for a scene instance), on its scene, on its film, then "
                                  "the project's; null when none.")
    async def effective_style(self, info: Info) -> Optional["Asset"]:
        placed = await info.context.loaders.placement_by_asset.load(self.record.id)
        return await _asset(info, placed.style_id)

    @strawberry.field(description="On a scene: the scene before it in its film.")
    async def previous_scene(self, info: Info) -> Optional["Asset"]:
        neighbours = await info.context.loaders.neighbours_by_scene.load(self.record.id)
        return await _asset(info, neighbours.previous_id)

    @strawberry.field(description="On a scene: the scene after it in its film.")
    async def next_scene(self, info: Info) -> Optional["Asset"]:
        neighbours = await info.context.loaders.neighbours_by_scene.load(self.record.id)
        return await _asset(info, neighbours.next_id)

    @strawberry.field(description="Generation jobs about this asset, newest first.")
    async def jobs(
        self, info: Info,
        statuses: Annotated[list[JobStatus] | None, strawberry.argument(
            description="Only jobs in one of these states; null for all.")] = None,
        first: First = None, after: After = None,
    ) -> AssetJobsConnection:
        cursor = decode_cursor(after, *JOB_KEY)
        args = JobPageArgs(
            statuses=tuple(dict.fromkeys(statuses)) if statuses is not None else None,
            first=page_size(first, info.context.limits.max_page_size),
            after=cursor,
        )
        page = await info.context.loaders.jobs_by_asset.load((self.record.id, args))
        return connection(
            AssetJobsConnection, page, lambda c, j: JobEdge(cursor=c, node=Job.from_record(j)),
            has_previous=cursor is not None,
        )

    @strawberry.field(description="How many edits were recorded (asset.updated events: "
                                  "updateAsset, syncAsset, revertField that changed "
                                  "something).")
    async def modification_count(self, info: Info) -> int:
        return await info.context.loaders.modification_count_by_asset.load(self.record.id)

    @strawberry.field(description="The fields the latest edit changed, as stored (e.g. "
                                  "description, generation_prompt, metadata); empty if "
                                  "never edited.")
    async def last_modified_fields(self, info: Info) -> list[str]:
        event = await info.context.loaders.last_update_by_asset.load(self.record.id)
        return list(event.payload.get("changes", {})) if event else []


async def _asset(info: Info, asset_id: UUID | None) -> Asset | None:
    if asset_id is None:
        return None
    record = await info.context.loaders.asset_by_id.load(asset_id)
    return Asset.from_record(record) if record else None


async def _edges(
    info: Info, asset_id: UUID, *, children: bool, types: list[RelationshipType] | None,
    first: int | None, after: str | None,
) -> RelationshipConnection:
    cursor = decode_cursor(after, *EDGE_KEY)
    args = EdgeArgs(
        direction=EdgeDirection.CHILDREN if children else EdgeDirection.PARENTS,
        types=distinct_types(types),
        first=page_size(first, info.context.limits.max_page_size),
        after=cursor,
    )
    page = await info.context.loaders.edges_by_asset.load((asset_id, args))
    return connection(
        RelationshipConnection, page,
        lambda c, e: RelationshipEdge(cursor=c, node=Relationship.from_record(e)),
        has_previous=cursor is not None,
    )


@strawberry.type(description="An asset a generation used (a reference, a style).")
class GenerationInput:
    asset_id: strawberry.Private[UUID]

    @strawberry.field(description="The asset, soft-deleted or not; null if purged since.")
    async def asset(self, info: Info) -> Asset | None:
        record = await info.context.loaders.asset_by_id.load(self.asset_id)
        return Asset.from_record(record) if record else None


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


@strawberry.type(description="How a generated image was made: the inputs its job resolved "
                             "and sent to the provider.")
class Generation:
    prompt: str | None = strawberry.field(description="The prompt sent to the provider.")
    negative_prompt: str | None = strawberry.field(description="What it was told to avoid.")
    model: str | None = strawberry.field(description="The provider's model, if one was named.")
    seed: int | None = strawberry.field(description="The seed (regenerate repeats it).")
    width: int | None = strawberry.field(description="Pixels asked for.")
    height: int | None = strawberry.field(description="Pixels asked for.")
    provider: str | None = strawberry.field(description="placeholder, thumbnail or http.")
    kind: str | None = strawberry.field(
        description="The GenerationKind asked for (master, scene_instance, start_frame, "
                    "end_frame, inpaint); null for a plain enqueueJob.")
    references: list[GenerationInput] = strawberry.field(
        description="The references it was given; each stands REFERENCE_FOR the image.")
    style: GenerationInput | None = strawberry.field(description="The style it applied.")
    job_id: strawberry.ID | None = strawberry.field(description="The job that made it.")
    cost: float | None = strawberry.field(description="What the provider charged.")

    @classmethod
    def of(cls, made: dict[str, object]) -> "Generation | None":
        job_id = _uuid(made.get("job_id"))
        if job_id is None:
            return None

        def number(key: str) -> int | None:
            value = made.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def text(key: str) -> str | None:
            value = made.get(key)
            return value if isinstance(value, str) else None

        references = made.get("reference_ids")
        style_id = _uuid(made.get("style_id"))
        cost = made.get("cost")
        return cls(
            prompt=text("prompt"), negative_prompt=text("negative_prompt"), model=text("model"),
            seed=number("seed"), width=number("width"), height=number("height"),
            provider=text("provider"), kind=text("generation_kind"),
            references=[GenerationInput(asset_id=r) for r in map(_uuid, references or [])
                        if r is not None] if isinstance(references, list) else [],
            style=GenerationInput(asset_id=style_id) if style_id else None,
            job_id=strawberry.ID(to_global_id("Job", job_id)),
            cost=float(str(cost)) if isinstance(cost, str | int | float) else None)


@strawberry.type(description="An asset in a list of assets.")
class AssetEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: Asset = strawberry.field(description="The asset.")


@strawberry.type(description="A page of scene instances.")
class AssetInstancesConnection:
    edges: list[AssetEdge] = strawberry.field(description="The instances of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many live instances there are.")


StaleReasonType = enum_type(
    StaleReason, name="InheritanceStaleReason",
    description="Why a scene instance no longer reflects what it was inherited from.", values={
        StaleReason.SCENE_ORDER_CHANGED: "The scene it inherited from is no longer the scene "
                                         "before this one (the film was reordered).",
        StaleReason.SOURCE_CHANGED: "The instance it inherited from changed since: "
                                    "propagateSceneAsset on that one brings it over.",
        StaleReason.SOURCE_REMOVED: "The instance it inherited from was removed "
                                    "(its deletedAt is set).",
    })


@strawberry.type(description="Where a scene instance's state came from.")
class SceneInheritance:
    from_instance: Asset | None = strawberry.field(
        description="The prior scene's instance it was inherited from (soft-deleted ones "
                    "too); null when it was bootstrapped from the project asset or added.")
    from_scene: Asset | None = strawberry.field(
        description="The scene of `fromInstance`.")
    stale: bool = strawberry.field(
        description="True when the scene it inherited from is no longer the previous scene, "
                    "or that instance changed or was removed after inheritance.")
    stale_reason: StaleReasonType | None = strawberry.field(  # type: ignore[valid-type]
        description="Why it is stale; null when it is not.")
