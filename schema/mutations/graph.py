"""Graph mutations: link, unlink, reorder children."""

from typing import Annotated, Any, cast

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


@strawberry.type(description="The result of linking or unlinking two assets.")
class RelationshipPayload:
    relationship: Relationship | None = strawberry.field(
        description="The relationship made or removed; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


def _payload(result: tuple[RelationshipRecord | None, list[UserError]]) -> RelationshipPayload:
    record, errors = result
    return RelationshipPayload(
        relationship=Relationship.from_record(record) if record else None, errors=errors
    )


@strawberry.input(description="The child stands in `type` to the parent.")
class LinkAssetsInput:
    parent_id: strawberry.ID = strawberry.field(description="The parent asset's global ID.")
    child_id: strawberry.ID = strawberry.field(description="The child asset's global ID.")
    type: RelationshipType = strawberry.field(
        description="How the child stands to the parent. One edge per (parent, child, type); "
                    "a link closing a cycle within the type is refused with CYCLE.")
    sequence: int | None = strawberry.field(
        default=None, description="Position among the parent's children; default: last."
    )
    metadata: JSON | None = strawberry.field(default=None,
                                             description="Free JSON kept on the edge.")


@strawberry.input(description="A new order for a parent's children of one type.")
class ReorderChildrenInput:
    parent_id: strawberry.ID = strawberry.field(description="The parent asset's global ID.")
    type: RelationshipType = strawberry.field(description="Which of its children to reorder.")
    child_ids: list[strawberry.ID] = strawberry.field(
        description="These children first, in this order; the others keep their order after."
    )


@strawberry.type
class GraphMutations:
    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Link a child to a parent with a typed, ordered edge.")
    async def link_assets(self, info: Info, input: Annotated[LinkAssetsInput, strawberry.argument(
            description="Parent, child, type and position.")]) -> RelationshipPayload:
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

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Remove a relationship; both assets stay.")
    async def unlink_assets(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The relationship's global ID.")]) -> RelationshipPayload:
        return _payload(await run_mutation(info, lambda: use_cases.unlink_assets(
            info.context.tx, mutation_id(id, "Relationship", "id"))))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Renumber a parent's children of one type; returns the "
                                     "parent.")
    async def reorder_children(
        self, info: Info, input: Annotated[ReorderChildrenInput, strawberry.argument(
            description="The parent, the type and the new order.")],
    ) -> AssetPayload:
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
