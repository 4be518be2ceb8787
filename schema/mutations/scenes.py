"""Scene mutations: inherit instances, set carry_forward."""

from typing import Annotated

import strawberry

from domain.scenes import use_cases
from domain.scenes.use_cases import Inheritance
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import mutation_id
from schema.mutations.assets import AssetPayload, asset_payload
from schema.permissions import CanEdit
from schema.types.asset import Asset


@strawberry.input(description="The scene whose asset instances to create.")
class InheritSceneAssetsInput:
    scene_id: strawberry.ID = strawberry.field(description="The scene asset's global ID.")
    replace: bool = strawberry.field(
        default=False, description="Replace (soft-delete) the scene's existing instances.")


@strawberry.type(description="The result of inheritSceneAssets.")
class InheritSceneAssetsPayload:
    scene: Asset | None = strawberry.field(description="The scene; null when refused.")
    instances: list[Asset] = strawberry.field(
        description="The instances created, each VARIANT_OF its project asset and USED_IN "
                    "the scene.")
    count: int = strawberry.field(description="The length of `instances`.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.input(description="Whether a scene instance's state carries into the next scene.")
class SetCarryForwardInput:
    id: strawberry.ID = strawberry.field(description="The scene instance's global ID.")
    carry_forward: bool = strawberry.field(
        description="True: the next scene inherits this instance's state; false: it starts "
                    "again from the project asset.")


@strawberry.type
class SceneMutations:
    @strawberry.mutation(
        permission_classes=[CanEdit],
        description="Scene 1 bootstraps from the project's locked assets; a later scene "
                    "inherits from the scene before it.")
    async def inherit_scene_assets(
        self, info: Info, input: Annotated[InheritSceneAssetsInput, strawberry.argument(
            description="The scene, and whether to replace its instances.")],
    ) -> InheritSceneAssetsPayload:
        async def inherit() -> Inheritance:
            return await use_cases.inherit_scene_assets(
                info.context.tx, mutation_id(input.scene_id, "Asset", "sceneId"),
                replace=input.replace)

        result, errors = await run_mutation(info, inherit)
        if result is None:
            return InheritSceneAssetsPayload(scene=None, instances=[], count=0, errors=errors)
        return InheritSceneAssetsPayload(
            scene=Asset.from_record(result.scene),
            instances=[Asset.from_record(i) for i in result.instances],
            count=len(result.instances), errors=[])

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Set a scene instance's carryForward flag.")
    async def set_carry_forward(
        self, info: Info, input: Annotated[SetCarryForwardInput, strawberry.argument(
            description="The instance and the flag.")],
    ) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.set_carry_forward(
            info.context.tx, mutation_id(input.id, "Asset", "id"), input.carry_forward)))
