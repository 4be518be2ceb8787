"""Asset mutations: create, update, delete, restore, purge, lock, unlock."""

from decimal import Decimal
from functools import partial
from typing import Annotated, Any, cast

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

AssetId = Annotated[strawberry.ID, strawberry.argument(description="The asset's global ID.")]
ERRORS = "Why nothing was written; empty on success."


@strawberry.type(description="The result of a mutation of one asset.")
class AssetPayload:
    asset: Asset | None = strawberry.field(
        description="The asset as the mutation left it; null when it was refused.")
    errors: list[UserError] = strawberry.field(description=ERRORS)


def asset_payload(result: tuple[AssetRecord | None, list[UserError]]) -> AssetPayload:
    record, errors = result
    return AssetPayload(asset=Asset.from_record(record) if record else None, errors=errors)


def _decimal(value: float | None) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


@strawberry.input(description="A new asset, at version 1.")
class CreateAssetInput:
    type: str = strawberry.field(description="script, text, audio, video, image, shot, film, "
                                             "character_ref, scene, style, prop or location")
    name: str = strawberry.field(description="Display name; need not be unique.")
    description: str = strawberry.field(default="", description="Free text.")
    generation_prompt: str = strawberry.field(
        default="", description="The prompt for image generation; empty: use description.")
    url: str | None = strawberry.field(default=None,
                                       description="Where the content lives elsewhere, if so.")
    mime_type: str | None = strawberry.field(default=None, description="e.g. image/png.")
    size: int | None = strawberry.field(default=None, description="Content length in bytes.")
    duration: float | None = strawberry.field(default=None, description="Length in seconds.")
    metadata: JSON | None = strawberry.field(
        default=None, description="Attributes the type's model validates, e.g. for image: width, "
                                  "height, format, thumbnail_url. Null or absent: none.")
    tags: list[str] = strawberry.field(default_factory=list, description="Free labels.")
    source: str = strawberry.field(default=AssetSource.UPLOAD.value,
                                   description="upload, generation, import or derivative.")
    file: Upload | None = strawberry.field(
        default=None, description="Content, sent as a GraphQL multipart request.")


@strawberry.input(description="Content to store as an asset's file.")
class AttachFileInput:
    asset_id: strawberry.ID = strawberry.field(description="The asset's global ID.")
    file: Upload = strawberry.field(
        description="The content, as a part of a GraphQL multipart request; at most the "
                    "server's upload limit (512 MiB by default).")


@strawberry.input(description="Fields left out stay as they are; null clears a nullable "
                              "field and is INVALID for the others.")
class UpdateAssetInput:
    id: strawberry.ID = strawberry.field(description="The asset's global ID.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    description: str | None = strawberry.field(default=strawberry.UNSET,
                                               description="New description.")
    generation_prompt: str | None = strawberry.field(default=strawberry.UNSET,
                                                     description="New generation prompt.")
    url: str | None = strawberry.field(default=strawberry.UNSET, description="New url.")
    mime_type: str | None = strawberry.field(default=strawberry.UNSET,
                                             description="New media type.")
    size: int | None = strawberry.field(default=strawberry.UNSET,
                                        description="New length in bytes.")
    duration: float | None = strawberry.field(default=strawberry.UNSET,
                                              description="New length in seconds.")
    metadata: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="The whole new metadata object (replaces it; "
                                              "validated against the type's model).")
    tags: list[str] | None = strawberry.field(default=strawberry.UNSET,
                                              description="The whole new tag list.")
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
    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Create an asset, with its content if `file` is sent.")
    async def create_asset(self, info: Info, input: Annotated[CreateAssetInput, strawberry.argument(
            description="The new asset's fields.")]) -> AssetPayload:
        new = use_cases.NewAsset(
            type=input.type,
            name=input.name,
            description=input.description,
            generation_prompt=input.generation_prompt,
            url=input.url,
            mime_type=input.mime_type,
            size=input.size,
            duration=_decimal(input.duration),
            metadata=cast(dict[str, Any], input.metadata if input.metadata is not None else {}),
            tags=input.tags,
            source=input.source,
        )
        async def create() -> AssetRecord:
            asset = await use_cases.create_asset(info.context.tx, new)
            if input.file is None:
                return asset
            blob, mime_type = await store_upload(info, input.file)
            return await attach_file(info.context.tx, info.context.store, asset.id, blob,
                                     mime_type,
                                     max_pixels=info.context.limits.max_image_pixels)

        return asset_payload(await run_mutation(info, create))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Edit an asset: version +1 and an asset.updated event with "
                                     "each change's before and after. A scene instance or clone "
                                     "records the edited fields as overrides.")
    async def update_asset(self, info: Info, input: Annotated[UpdateAssetInput, strawberry.argument(
            description="The asset and the fields to change.")]) -> AssetPayload:
        async def update() -> AssetRecord:
            return await use_cases.update_asset(
                info.context.tx,
                mutation_id(input.id, "Asset", "id"),
                _changes(input),
                reason=input.reason,
                expected_version=input.expected_version,
            )

        return asset_payload(await run_mutation(info, update))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Soft-delete an asset (deletedAt set; restoreAsset undoes "
                                     "it). Refused with DEPENDENTS_EXIST while live assets "
                                     "depend on it, unless forced; LOCKED if locked.")
    async def delete_asset(
        self, info: Info, id: AssetId,
        force: Annotated[bool, strawberry.argument(
            description="Delete even though live assets depend on it (see canDelete).")
        ] = False,
    ) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.delete_asset(
            info.context.tx, mutation_id(id, "Asset", "id"), force=force)))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Undo a soft delete: the asset is live again.")
    async def restore_asset(self, info: Info, id: AssetId) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.restore_asset(
            info.context.tx, mutation_id(id, "Asset", "id"))))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Hard-delete a soft-deleted asset; its edges go with it, "
                                     "and its file unless another asset still uses it.")
    async def purge_asset(self, info: Info, id: AssetId) -> AssetPayload:
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
    async def attach_file(self, info: Info, input: Annotated[AttachFileInput, strawberry.argument(
            description="The asset and the file.")]) -> AssetPayload:
        async def attach() -> AssetRecord:
            asset_id = mutation_id(input.asset_id, "Asset", "assetId")
            blob, mime_type = await store_upload(info, input.file)
            return await attach_file(info.context.tx, info.context.store, asset_id, blob,
                                     mime_type,
                                     max_pixels=info.context.limits.max_image_pixels)

        return asset_payload(await run_mutation(info, attach))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Lock an asset: edits and deletion are refused with LOCKED "
                                     "until unlocked. Locking a locked asset is no error.")
    async def lock_asset(self, info: Info, id: AssetId) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.set_locked(
            info.context.tx, mutation_id(id, "Asset", "id"), locked=True)))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Unlock an asset so it can be edited and deleted again.")
    async def unlock_asset(self, info: Info, id: AssetId) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.set_locked(
            info.context.tx, mutation_id(id, "Asset", "id"), locked=False)))
