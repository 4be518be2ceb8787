"""Library/project mutations: clone, sync, revert a field, promote."""

from typing import Annotated

import strawberry

from domain.records import AssetRecord
from domain.sync import use_cases
from domain.sync.vocabulary import NameStrategy, PromoteConflict, PromoteOutcome, SyncTake
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import mutation_id
from schema.mutations.assets import AssetPayload, asset_payload
from schema.permissions import CanEdit
from schema.types.asset import Asset
from schema.types.common import enum_type
from schema.types.sync import SyncConflict

# The domain's own enums, registered in place (see schema/types/common.py).
enum_type(NameStrategy, name="NameStrategy", description="How a clone is named.", values={
    NameStrategy.SOURCE: "As its source.",
    NameStrategy.SOURCE_WITH_COLLECTION: "As its source, followed by the collection's name.",
    NameStrategy.CUSTOM: "As customName says.",
})
enum_type(SyncTake, name="SyncTake", description="Which side a sync takes for one field.",
          values={
              SyncTake.KEEP_LOCAL: "Keep the value here; the field stays overridden.",
              SyncTake.TAKE_SOURCE: "Take the source's value; the override is dropped.",
          })
enum_type(PromoteConflict, name="PromoteConflict",
          description="What promoteAsset does when the library already holds an asset of the "
                      "same name and type.", values={
              PromoteConflict.CREATE_NEW: "Add another library asset beside it, named "
                                          "`Name (2)` (or the next free number); the project "
                                          "asset keeps its own name, as an override.",
              PromoteConflict.OVERWRITE: "Overwrite that library asset's fields (its version "
                                         "+1, so its clones see an update).",
              PromoteConflict.SKIP: "Change nothing; return the existing library asset.",
          })
enum_type(PromoteOutcome, name="PromoteOutcome", description="What promoteAsset did.",
          values={
              PromoteOutcome.CREATED: "A new library asset was created.",
              PromoteOutcome.OVERWRITTEN: "An existing library asset was overwritten.",
              PromoteOutcome.SKIPPED: "Nothing changed: the library asset was kept.",
          })


@strawberry.input(description="Copy an asset into a collection as a new asset that keeps "
                              "in sync with it.")
class CloneAssetInput:
    source_id: strawberry.ID = strawberry.field(description="The asset to copy (its global ID).")
    collection_id: strawberry.ID = strawberry.field(
        description="The collection (e.g. a project) to add the clone to.")
    name_strategy: NameStrategy = strawberry.field(default=NameStrategy.SOURCE,
                                                   description="How to name the clone.")
    custom_name: str | None = strawberry.field(default=None, description="Required with CUSTOM.")
    description_override: str | None = strawberry.field(
        default=None, description="Recorded as an override of the description.")


@strawberry.input(description="How to settle one field in a sync.")
class SyncResolution:
    field: str = strawberry.field(description="e.g. description, tags, metadata.hair")
    take: SyncTake = strawberry.field(description="Which side wins.")


@strawberry.input(description="Bring an asset up to its sync source's current version.")
class SyncAssetInput:
    id: strawberry.ID = strawberry.field(description="The derived asset's global ID.")
    resolutions: list[SyncResolution] = strawberry.field(
        default_factory=list, description="Per overridden field, which side to take; an "
                                          "overridden field not named keeps its local value.")


@strawberry.type(description="The result of syncAsset.")
class SyncAssetPayload:
    asset: Asset | None = strawberry.field(description="The synced asset; null when refused.")
    applied: list[str] = strawberry.field(description="The fields the sync changed.")
    conflicts: list[SyncConflict] = strawberry.field(description="Conflicts kept local.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.input(description="One field of a derived asset to take back from its source.")
class RevertFieldInput:
    id: strawberry.ID = strawberry.field(description="The derived asset's global ID.")
    field: str = strawberry.field(description="e.g. description, tags, metadata.hair")


@strawberry.input(description="Copy a project asset up into a library.")
class PromoteAssetInput:
    id: strawberry.ID = strawberry.field(description="The asset to promote (its global ID).")
    library_id: strawberry.ID = strawberry.field(
        description="The library collection to promote it into.")
    on_conflict: PromoteConflict = strawberry.field(
        default=PromoteConflict.CREATE_NEW,
        description="What to do if the library holds an asset of the same name and type.")


@strawberry.type(description="The result of promoteAsset.")
class PromoteAssetPayload:
    asset: Asset | None = strawberry.field(description="The library asset.")
    outcome: PromoteOutcome | None = strawberry.field(
        description="What was done; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.type
class SyncMutations:
    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Clone an asset into a collection: a new asset (source "
                                     "derivative) DERIVED_FROM the source, which becomes its "
                                     "sync source.")
    async def clone_asset(self, info: Info, input: Annotated[CloneAssetInput, strawberry.argument(
            description="Source, collection and naming.")]) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.clone_asset(
            info.context.tx,
            source_id=mutation_id(input.source_id, "Asset", "sourceId"),
            collection_id=mutation_id(input.collection_id, "Collection", "collectionId"),
            name_strategy=input.name_strategy,
            custom_name=input.custom_name,
            description_override=input.description_override)))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Take the source's changes since the last sync; "
                                     "overridden fields stay local unless resolved otherwise.")
    async def sync_asset(self, info: Info, input: Annotated[SyncAssetInput, strawberry.argument(
            description="The asset and how to settle conflicts.")]) -> SyncAssetPayload:
        result, errors = await run_mutation(info, lambda: use_cases.sync_asset(
            info.context.tx, mutation_id(input.id, "Asset", "id"),
            resolutions=[(r.field, r.take) for r in input.resolutions]))
        if result is None:
            return SyncAssetPayload(asset=None, applied=[], conflicts=[], errors=errors)
        return SyncAssetPayload(
            asset=Asset.from_record(result.asset), applied=result.applied,
            conflicts=[SyncConflict.of(c) for c in result.conflicts], errors=[])

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Take the source's value of one field; drop its override.")
    async def revert_field(
        self, info: Info, input: Annotated[RevertFieldInput, strawberry.argument(
            description="The asset and the field.")],
    ) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.revert_field(
            info.context.tx, mutation_id(input.id, "Asset", "id"), input.field)))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Promote a project asset into a library.")
    async def promote_asset(
        self, info: Info, input: Annotated[PromoteAssetInput, strawberry.argument(
            description="The asset, the library and what to do on a name clash.")],
    ) -> PromoteAssetPayload:
        async def promote() -> tuple[AssetRecord, PromoteOutcome]:
            return await use_cases.promote_asset(
                info.context.tx, mutation_id(input.id, "Asset", "id"),
                library_id=mutation_id(input.library_id, "Collection", "libraryId"),
                on_conflict=input.on_conflict)

        result, errors = await run_mutation(info, promote)
        if result is None:
            return PromoteAssetPayload(asset=None, outcome=None, errors=errors)
        return PromoteAssetPayload(asset=Asset.from_record(result[0]),
                                   outcome=result[1], errors=[])
