"""Collection mutations: create, update, delete, membership and order."""

from typing import Annotated, Any, cast

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


@strawberry.type(description="The result of a mutation of one collection.")
class CollectionPayload:
    collection: Collection | None = strawberry.field(
        description="The collection as the mutation left it; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


def _payload(result: tuple[CollectionRecord | None, list[UserError]]) -> CollectionPayload:
    record, errors = result
    return CollectionPayload(
        collection=Collection.from_record(record) if record else None, errors=errors
    )


@strawberry.input(description="A new, empty collection.")
class CreateCollectionInput:
    name: str = strawberry.field(description="Display name; need not be unique.")
    type: str = strawberry.field(description="A lowercase word: library, project, character, "
                                             "storyboard, ...")
    description: str = strawberry.field(default="", description="Free text.")
    metadata: JSON | None = strawberry.field(
        default=None, description="Free JSON object for clients' own use. Null or absent: {}.")


@strawberry.input(description="Fields left out stay as they are; none may be null.")
class UpdateCollectionInput:
    id: strawberry.ID = strawberry.field(description="The collection's global ID.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    type: str | None = strawberry.field(default=strawberry.UNSET, description="New type.")
    description: str | None = strawberry.field(default=strawberry.UNSET,
                                               description="New description.")
    metadata: JSON | None = strawberry.field(default=strawberry.UNSET,
                                             description="The whole new metadata object.")


@strawberry.input(description="The collection to delete.")
class DeleteCollectionInput:
    id: strawberry.ID = strawberry.field(description="The collection's global ID.")


@strawberry.input(description="An asset to add to a collection.")
class CollectionMemberInput:
    collection_id: strawberry.ID = strawberry.field(description="The collection's global ID.")
    asset_id: strawberry.ID = strawberry.field(
        description="The asset's global ID. Adding a member again is no error.")
    sequence: int | None = strawberry.field(
        default=None, description="Position in the collection; default: last."
    )


@strawberry.input(description="An asset to take out of a collection.")
class RemoveFromCollectionInput:
    collection_id: strawberry.ID = strawberry.field(description="The collection's global ID.")
    asset_id: strawberry.ID = strawberry.field(description="The member asset's global ID.")


@strawberry.input(description="A new order for a collection's members.")
class ReorderCollectionInput:
    collection_id: strawberry.ID = strawberry.field(description="The collection's global ID.")
    asset_ids: list[strawberry.ID] = strawberry.field(
        description="These members first, in this order; the others keep their order after.")


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
    @strawberry.mutation(permission_classes=[CanEdit], description="Create a collection.")
    async def create_collection(
        self, info: Info, input: Annotated[CreateCollectionInput, strawberry.argument(
            description="The new collection's fields.")],
    ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.create_collection(
            info.context.tx, name=input.name, type=input.type, description=input.description,
            metadata=cast(dict[str, Any],
                          input.metadata if input.metadata is not None else {}))))

    @strawberry.mutation(permission_classes=[CanEdit], description="Edit a collection.")
    async def update_collection(
        self, info: Info, input: Annotated[UpdateCollectionInput, strawberry.argument(
            description="The collection and the fields to change.")],
    ) -> CollectionPayload:
        async def update() -> CollectionRecord:
            collection_id = mutation_id(input.id, "Collection", "id")
            return await use_cases.update_collection(info.context.tx, collection_id,
                                                     _changes(input))

        return _payload(await run_mutation(info, update))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Delete the collection; its assets stay.")
    async def delete_collection(
        self, info: Info, input: Annotated[DeleteCollectionInput, strawberry.argument(
            description="The collection.")],
    ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.delete_collection(
            info.context.tx, mutation_id(input.id, "Collection", "id"))))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Add an asset to a collection at a position.")
    async def add_to_collection(
        self, info: Info, input: Annotated[CollectionMemberInput, strawberry.argument(
            description="The collection, the asset and its position.")],
    ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.add_to_collection(
            info.context.tx,
            collection_id=mutation_id(input.collection_id, "Collection", "collectionId"),
            asset_id=mutation_id(input.asset_id, "Asset", "assetId"),
            sequence=input.sequence)))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Take an asset out of a collection; the asset stays.")
    async def remove_from_collection(
        self, info: Info, input: Annotated[RemoveFromCollectionInput, strawberry.argument(
            description="The collection and the asset.")],
    ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.remove_from_collection(
            info.context.tx,
            collection_id=mutation_id(input.collection_id, "Collection", "collectionId"),
            asset_id=mutation_id(input.asset_id, "Asset", "assetId"))))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Renumber a collection's members.")
    async def reorder_collection(
        self, info: Info, input: Annotated[ReorderCollectionInput, strawberry.argument(
            description="The collection and the new order.")],
    ) -> CollectionPayload:
        return _payload(await run_mutation(info, lambda: use_cases.reorder_collection(
            info.context.tx,
            collection_id=mutation_id(input.collection_id, "Collection", "collectionId"),
            asset_ids=[mutation_id(a, "Asset", "assetIds") for a in input.asset_ids])))
