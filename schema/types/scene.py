"""What a prompt builder reads about a scene: `sceneContext` entries and the `sceneBrief`."""

from typing import Any

import strawberry

from domain.records import AssetRecord
from domain.scenes.queries import Instance
from schema.context import Info
from schema.inputs import to_global_id
from schema.types.asset import Asset, AssetFile


def _file(asset: AssetRecord) -> AssetFile | None:
    if asset.blob_sha256 is None:
        return None
    return AssetFile(sha256=asset.blob_sha256, size=asset.size, mime_type=asset.mime_type)


def _pictured(found: Instance) -> list[AssetRecord]:
    """Where an instance's picture comes from, nearest first: the instance, its project
    asset, the project asset's library source."""
    return [a for a in (found.asset, found.project_asset, found.library_asset) if a is not None]


@strawberry.type(description="What a prompt builder injects for one asset of a scene.")
class SceneContextEntry:
    instance: strawberry.Private[Instance]
    asset_id: strawberry.ID = strawberry.field(description="The scene instance's global ID.")
    project_asset_id: strawberry.ID = strawberry.field(
        description="Global ID of the project asset the instance is a VARIANT_OF.")
    name: str = strawberry.field(description="The instance's name.")
    type: str = strawberry.field(description="The instance's asset type.")
    description: str = strawberry.field(
        description="The instance's description, as this scene has it.")
    status_tags: list[str] = strawberry.field(
        description="The instance's tags: its state in this scene (e.g. muddy, wounded).")

    @classmethod
    def of(cls, found: Instance) -> "SceneContextEntry":
        return cls(instance=found,
                   asset_id=strawberry.ID(to_global_id("Asset", found.asset.id)),
                   project_asset_id=strawberry.ID(to_global_id("Asset", found.project_asset.id)),
                   name=found.asset.name, type=found.asset.type,
                   description=found.asset.description, status_tags=found.asset.tags)

    @strawberry.field(description="The stored image of the instance, else of its project "
                                  "asset, else of the project asset's library source; null "
                                  "when none has one.")
    def image(self) -> AssetFile | None:
        return next((f for a in _pictured(self.instance) if (f := _file(a))), None)

    @strawberry.field(description="Where to see it: the nearest of the instance, its project "
                                  "asset and its library source that has a picture, as its "
                                  "`url` or its stored file's download URL.")
    def image_url(self, info: Info) -> str | None:
        for asset in _pictured(self.instance):
            if asset.url:
                return asset.url
            if asset.blob_sha256:
                return info.context.files.download(asset.blob_sha256)
        return None

    @strawberry.field(description="The style that applies to the instance (Asset."
                                  "effectiveStyle); null when none.")
    async def effective_style(self, info: Info) -> Asset | None:
        placed = await info.context.loaders.placement_by_asset.load(self.instance.asset.id)
        if placed.style_id is None:
            return None
        record = await info.context.loaders.asset_by_id.load(placed.style_id)
        return Asset.from_record(record) if record else None


def _text(metadata: dict[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    return value if isinstance(value, str) else None


@strawberry.type(description="Everything a prompt builder needs about one scene.")
class SceneBrief:
    scene: Asset = strawberry.field(description="The scene.")
    scene_number: int | None = strawberry.field(
        description="Its 1-based position in its film; null when in none.")
    script_excerpt: str | None = strawberry.field(
        description="The scene's metadata.script_excerpt.")
    end_state_summary: str | None = strawberry.field(
        description="The scene's metadata.end_state_summary: how it ends.")
    status: str | None = strawberry.field(description="The scene's metadata.status (draft, ...).")
    previous_scene: Asset | None = strawberry.field(description="The scene before it.")
    previous_end_state_summary: str | None = strawberry.field(
        description="How the scene before it ends: where this one starts from.")
    entries: list[SceneContextEntry] = strawberry.field(
        description="The scene's instances, as sceneContext lists them.")

    @classmethod
    def of(cls, scene: AssetRecord, number: int | None, previous: AssetRecord | None,
           instances: list[Instance]) -> "SceneBrief":
        return cls(
            scene=Asset.from_record(scene), scene_number=number,
            script_excerpt=_text(scene.metadata, "script_excerpt"),
            end_state_summary=_text(scene.metadata, "end_state_summary"),
            status=_text(scene.metadata, "status"),
            previous_scene=Asset.from_record(previous) if previous else None,
            previous_end_state_summary=_text(previous.metadata, "end_state_summary")
            if previous else None,
            entries=[SceneContextEntry.of(i) for i in instances])
