"""Collection mutations: create, update, delete, membership and order."""

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from domain.collections import use_cases
from domain.errors import DomainError, ErrorCode
from domain.records import CollectionRecord
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import mutation_id
from schema.permissions import CanEdit
from schema.types.collection import Collection


@strawberry.type
class CollectionPayload:
    collection: Collection | None
    errors: list[UserError]


def _payload(result: tuple[CollectionRecord | None, list[UserError]]) -> CollectionPayload:
    record, errors = result
    return CollectionPayload(
        collection=Collection.from_record(record) if record else None, errors=errors
    )


@strawberry.input
class CreateCollectionInput:
    name: str
    type: str = strawberry.field(description="library, project, character, storyboard, ...")
    description: str = ""
    metadata: JSON = strawberry.field(default_factory=dict)


@strawberry.input(description="Fields left out stay as they are.")
class UpdateCollectionInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    type: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    metadata: JSON | None = strawberry.UNSET


@strawberry.input
class DeleteCollectionInput:
    id: strawberry.ID


@strawberry.input
class CollectionMemberInput:
    collection_id: strawberry.ID
    asset_id: strawberry.ID
    sequence: int | None = strawberry.field(
        default=None, description="Position in the collection; default: last."
    )


@strawberry.input
class RemoveFromCollectionInput:
    collection_id: strawberry.ID
    asset_id: strawberry.ID


@strawberry.input
class ReorderCollectionInput:
    collection_id: strawberry.ID
    asset_ids: list[strawberry.ID]


def _changes(data: UpdateCollectionInput) -> dict[str, Any]:
    changes = {}
    for name in ("name", "type", "description", "metadata"):
        value = getattr(data, name)
        if value is strawberry.UNSET:
            continue
        if value is None:
            raise DomainError.of(ErrorCode.INVALID, f"{name} cannot be null", name)
        changes[name] = value
    return changes


@strawberry.type
class CollectionMutations:
    @strawberry.mutation(permission_classes=[CanEdit])
    async def create_collection(self, info: Info, input: CreateCollectionInput
                                ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.create_collection(
            info.context.tx, name=input.name, type=input.type, description=input.description,
            metadata=cast(dict[str, Any], input.metadata))))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def update_collection(self, info: Info, input: UpdateCollectionInput
                                ) -> CollectionPayload:
        async def update() -> CollectionRecord:
            collection_id = mutation_id(input.id, "Collection", "id")
            return await use_cases.update_collection(info.context.tx, collection_id,
                                                     _changes(input))

        return _payload(await run_mutation(info, update))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Delete the collection; its assets stay.")
    async def delete_collection(self, info: Info, input: DeleteCollectionInput
                                ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.delete_collection(
            info.context.tx, mutation_id(input.id, "Collection", "id"))))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def add_to_collection(self, info: Info, input: CollectionMemberInput
                                ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.add_to_collection(
            info.context.tx,
            collection_id=mutation_id(input.collection_id, "Collection", "collectionId"),
            asset_id=mutation_id(input.asset_id, "Asset", "assetId"),
            sequence=input.sequence)))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def remove_from_collection(self, info: Info, input: RemoveFromCollectionInput
                                     ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.remove_from_collection(
            info.context.tx,
            collection_id=mutation_id(input.collection_id, "Collection", "collectionId"),
            asset_id=mutation_id(input.asset_id, "Asset", "assetId"))))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def reorder_collection(self, info: Info, input: ReorderCollectionInput
                                 ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.reorder_collection(
            info.context.tx,
            collection_id=mutation_id(input.collection_id, "Collection", "collectionId"),
            asset_ids=[mutation_id(a, "Asset", "assetIds") for a in input.asset_ids])))
