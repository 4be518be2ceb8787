"""Library/project mutations: clone, sync, revert a field, promote."""

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
from schema.types.sync import SyncConflict

# The domain's own enums, registered in place (see schema/types/common.py).
strawberry.enum(NameStrategy, name="NameStrategy")
strawberry.enum(SyncTake, name="SyncTake")
strawberry.enum(PromoteConflict, name="PromoteConflict")
strawberry.enum(PromoteOutcome, name="PromoteOutcome")


@strawberry.input
class CloneAssetInput:
    source_id: strawberry.ID
    collection_id: strawberry.ID
    name_strategy: NameStrategy = NameStrategy.SOURCE
    custom_name: str | None = strawberry.field(default=None, description="Required with CUSTOM.")
    description_override: str | None = strawberry.field(
        default=None, description="Recorded as an override of the description.")


@strawberry.input
class SyncResolution:
    field: str = strawberry.field(description="e.g. description, tags, metadata.hair")
    take: SyncTake


@strawberry.input
class SyncAssetInput:
    id: strawberry.ID
    resolutions: list[SyncResolution] = strawberry.field(default_factory=list)


@strawberry.type
class SyncAssetPayload:
    asset: Asset | None
    applied: list[str] = strawberry.field(description="The fields the sync changed.")
    conflicts: list[SyncConflict] = strawberry.field(description="Conflicts kept local.")
    errors: list[UserError]


@strawberry.input
class RevertFieldInput:
    id: strawberry.ID
    field: str


@strawberry.input
class PromoteAssetInput:
    id: strawberry.ID
    library_id: strawberry.ID
    on_conflict: PromoteConflict = PromoteConflict.CREATE_NEW


@strawberry.type
class PromoteAssetPayload:
    asset: Asset | None = strawberry.field(description="The library asset.")
    outcome: PromoteOutcome | None
    errors: list[UserError]


@strawberry.type
class SyncMutations:
    @strawberry.mutation(permission_classes=[CanEdit])
    async def clone_asset(self, info: Info, input: CloneAssetInput) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.clone_asset(
            info.context.tx,
            source_id=mutation_id(input.source_id, "Asset", "sourceId"),
            collection_id=mutation_id(input.collection_id, "Collection", "collectionId"),
            name_strategy=input.name_strategy,
            custom_name=input.custom_name,
            description_override=input.description_override)))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def sync_asset(self, info: Info, input: SyncAssetInput) -> SyncAssetPayload:
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
    async def revert_field(self, info: Info, input: RevertFieldInput) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.revert_field(
            info.context.tx, mutation_id(input.id, "Asset", "id"), input.field)))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def promote_asset(self, info: Info, input: PromoteAssetInput) -> PromoteAssetPayload:
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
