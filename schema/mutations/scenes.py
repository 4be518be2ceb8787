"""Scene mutations: inherit instances, set carry_forward."""

import strawberry

from domain.scenes import use_cases
from domain.scenes.use_cases import Inheritance
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import mutation_id
from schema.mutations.assets import AssetPayload, asset_payload
from schema.permissions import CanEdit
from schema.types.asset import Asset


@strawberry.input
class InheritSceneAssetsInput:
    scene_id: strawberry.ID
    replace: bool = strawberry.field(
        default=False, description="Replace (soft-delete) the scene's existing instances.")


@strawberry.type
class InheritSceneAssetsPayload:
    scene: Asset | None
    instances: list[Asset]
    count: int
    errors: list[UserError]


@strawberry.input
class SetCarryForwardInput:
    id: strawberry.ID
    carry_forward: bool


@strawberry.type
class SceneMutations:
    @strawberry.mutation(
        permission_classes=[CanEdit],
        description="Scene 1 bootstraps from the project's locked assets; a later scene "
                    "inherits from the scene before it.")
    async def inherit_scene_assets(self, info: Info, input: InheritSceneAssetsInput
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

    @strawberry.mutation(permission_classes=[CanEdit])
    async def set_carry_forward(self, info: Info, input: SetCarryForwardInput) -> AssetPayload:
        return asset_payload(await run_mutation(info, lambda: use_cases.set_carry_forward(
            info.context.tx, mutation_id(input.id, "Asset", "id"), input.carry_forward)))
