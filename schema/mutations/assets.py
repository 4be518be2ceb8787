"""Asset mutations: create, update, delete, restore, purge, lock, unlock."""

from decimal import Decimal
from functools import partial
from typing import Any, cast

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from domain.assets import use_cases
from domain.assets.vocabulary import AssetSource
from domain.errors import DomainError, ErrorCode
from domain.files import release_file
from domain.records import AssetRecord
from domain.uploads import attach_file
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import mutation_id
from schema.permissions import CanEdit, IsAdmin
from schema.types.asset import Asset
from schema.uploads import store_upload


@strawberry.type
class AssetPayload:
    asset: Asset | None
    errors: list[UserError]


def asset_payload(result: tuple[AssetRecord | None, list[UserError]]) -> AssetPayload:
    record, errors = result
    return AssetPayload(asset=Asset.from_record(record) if record else None, errors=errors)


def _decimal(value: float | None) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


@strawberry.input
class CreateAssetInput:
    type: str = strawberry.field(description="script, text, audio, video, image, shot, film, "
                                             "character_ref, scene, style, prop or location")
    name: str
    description: str = ""
    generation_prompt: str = ""
    url: str | None = None
    mime_type: str | None = None
    size: int | None = None
    duration: float | None = None
    metadata: JSON = strawberry.field(default_factory=dict)
    tags: list[str] = strawberry.field(default_factory=list)
    source: str = AssetSource.UPLOAD.value
    file: Upload | None = strawberry.field(
        default=None, description="Content, sent as a GraphQL multipart request.")


@strawberry.input
class AttachFileInput:
    asset_id: strawberry.ID
    file: Upload


@strawberry.input(description="Fields left out stay as they are.")
class UpdateAssetInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    generation_prompt: str | None = strawberry.UNSET
    url: str | None = strawberry.UNSET
    mime_type: str | None = strawberry.UNSET
    size: int | None = strawberry.UNSET
    duration: float | None = strawberry.UNSET
    metadata: JSON | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    reason: str | None = strawberry.field(default=None, description="Kept in the history.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with CONFLICT unless the asset is at this version."
    )


NOT_NULL = ("name", "description", "generation_prompt", "metadata", "tags")


def _changes(data: UpdateAssetInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in use_cases.EDITABLE_FIELDS:
        value = getattr(data, name, strawberry.UNSET)
        if value is strawberry.UNSET:
            continue
        if value is None and name in NOT_NULL:
            raise DomainError.of(ErrorCode.INVALID, f"{name} cannot be null", name)
        changes[name] = _decimal(value) if name == "duration" else value
    return changes


@strawberry.type
class AssetMutations:
    @strawberry.mutation(permission_classes=[CanEdit])
    async def create_asset(self, info: Info, input: CreateAssetInput) -> AssetPayload:
        new = use_cases.NewAsset(
            type=input.type,
            name=input.name,
            description=input.description,
            generation_prompt=input.generation_prompt,
            url=input.url,
            mime_type=input.mime_type,
            size=input.size,
            duration=_decimal(input.duration),
            metadata=cast(dict[str, Any], input.metadata),
            tags=input.tags,
            source=input.source,
        )
        async def create() -> AssetRecord:
            asset = await use_cases.create_asset(info.context.tx, new)
            if input.file is None:
                return asset
            blob, mime_type = await store_upload(info, input.file)
            return await attach_file(info.context.tx, info.context.store, asset.id, blob,
                                     mime_type)

        return asset_payload(await run_mutation(info, create))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def update_asset(self, info: Info, input: UpdateAssetInput) -> AssetPayload:
        async def update() -> AssetRecord:
            return await use_cases.update_asset(
                info.context.tx,
                mutation_id(input.id, "Asset", "id"),
                _changes(input),
                reason=input.reason,
                expected_version=input.expected_version,
            )

        return asset_payload(await run_mutation(info, update))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def delete_asset(self, info: Info, id: strawberry.ID, force: bool = False
                           ) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.delete_asset(
            info.context.tx, mutation_id(id, "Asset", "id"), force=force)))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def restore_asset(self, info: Info, id: strawberry.ID) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.restore_asset(
            info.context.tx, mutation_id(id, "Asset", "id"))))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Hard-delete a soft-deleted asset; its edges go with it, "
                                     "and its file unless another asset still uses it.")
    async def purge_asset(self, info: Info, id: strawberry.ID) -> AssetPayload:
        async def purge() -> AssetRecord:
            tx, store = info.context.tx, info.context.store
            record, freed = await use_cases.purge_asset(tx, mutation_id(id, "Asset", "id"))
            for sha256 in freed:
                tx.after_commit(partial(release_file, store=store, sha256=sha256))
            return record

        return asset_payload(await run_mutation(info, purge))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Upload a file (GraphQL multipart request) as the asset's "
                                     "content.")
    async def attach_file(self, info: Info, input: AttachFileInput) -> AssetPayload:
        async def attach() -> AssetRecord:
            asset_id = mutation_id(input.asset_id, "Asset", "assetId")
            blob, mime_type = await store_upload(info, input.file)
            return await attach_file(info.context.tx, info.context.store, asset_id, blob,
                                     mime_type)

        return asset_payload(await run_mutation(info, attach))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def lock_asset(self, info: Info, id: strawberry.ID) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.set_locked(
            info.context.tx, mutation_id(id, "Asset", "id"), locked=True)))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def unlock_asset(self, info: Info, id: strawberry.ID) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.set_locked(
            info.context.tx, mutation_id(id, "Asset", "id"), locked=False)))
