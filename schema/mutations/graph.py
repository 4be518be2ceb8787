"""Graph mutations: link, unlink, reorder children."""

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from domain.assets.queries import get_assets
from domain.graph import use_cases
from domain.records import AssetRecord, RelationshipRecord
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import mutation_id
from schema.mutations.assets import AssetPayload, asset_payload
from schema.permissions import CanEdit
from schema.types.common import RelationshipType
from schema.types.relationship import Relationship


@strawberry.type
class RelationshipPayload:
    relationship: Relationship | None
    errors: list[UserError]


def _payload(result: tuple[RelationshipRecord | None, list[UserError]]) -> RelationshipPayload:
    record, errors = result
    return RelationshipPayload(
        relationship=Relationship.from_record(record) if record else None, errors=errors
    )


@strawberry.input(description="The child stands in `type` to the parent.")
class LinkAssetsInput:
    parent_id: strawberry.ID
    child_id: strawberry.ID
    type: RelationshipType
    sequence: int | None = strawberry.field(
        default=None, description="Position among the parent's children; default: last."
    )
    metadata: JSON | None = None


@strawberry.input
class ReorderChildrenInput:
    parent_id: strawberry.ID
    type: RelationshipType
    child_ids: list[strawberry.ID] = strawberry.field(
        description="These children first, in this order; the others keep their order after."
    )


@strawberry.type
class GraphMutations:
    @strawberry.mutation(permission_classes=[CanEdit])
    async def link_assets(self, info: Info, input: LinkAssetsInput) -> RelationshipPayload:
        async def link() -> RelationshipRecord:
            return await use_cases.link_assets(
                info.context.tx,
                parent_id=mutation_id(input.parent_id, "Asset", "parentId"),
                child_id=mutation_id(input.child_id, "Asset", "childId"),
                relationship_type=input.type,
                sequence=input.sequence,
                metadata=cast(dict[str, Any] | None, input.metadata),
            )

        return _payload(await run_mutation(info, link))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def unlink_assets(self, info: Info, id: strawberry.ID) -> RelationshipPayload:
        return _payload(await run_mutation(info, lambda: use_cases.unlink_assets(
            info.context.tx, mutation_id(id, "Relationship", "id"))))

    @strawberry.mutation(permission_classes=[CanEdit])
    async def reorder_children(self, info: Info, input: ReorderChildrenInput) -> AssetPayload:
        async def reorder() -> AssetRecord:
            tx = info.context.tx
            parent_id = mutation_id(input.parent_id, "Asset", "parentId")
            await use_cases.reorder_children(
                tx,
                parent_id=parent_id,
                relationship_type=input.type,
                child_ids=[mutation_id(c, "Asset", "childIds") for c in input.child_ids],
            )
            return (await get_assets(tx, [parent_id]))[parent_id]

        return asset_payload(await run_mutation(info, reorder))
