"""Scene mutations: inherit, add, remove and propagate instances; carryForward; styles."""

from typing import Annotated

import strawberry

from domain.errors import DomainError, ErrorCode
from domain.scenes import styles, use_cases
from domain.scenes.use_cases import (
    AddedSceneAsset,
    Inheritance,
    NewSceneAsset,
    Propagation,
    Removal,
    Skipped,
)
from domain.scenes.vocabulary import InheritMode, SkipReason
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import decode_uuid, mutation_id
from schema.mutations.assets import AssetPayload, asset_payload
from schema.permissions import CanEdit
from schema.types.asset import Asset
from schema.types.collection import Collection
from schema.types.common import enum_type

enum_type(InheritMode, name="InheritMode",
          description="What inheritSceneAssets does with a scene that already has instances.",
          values={
              InheritMode.CREATE: "Refuse (CONFLICT) when the scene has instances.",
              InheritMode.MERGE: "Add the instances the scene lacks; keep every instance it "
                                 "has, edited or not.",
              InheritMode.REPLACE: "Soft-delete the scene's instances and inherit afresh.",
          })
enum_type(SkipReason, name="PropagationSkipReason",
          description="Why a later scene's instance was left as it is (the chain stops there).",
          values={
              SkipReason.LOCAL_EDIT: "It was edited since it was inherited.",
              SkipReason.LOCKED: "It is locked.",
              SkipReason.NOT_INHERITED: "It was not inherited from the instance before it in "
                                        "the chain (added, or inherited from another scene).",
          })

InstanceId = Annotated[strawberry.ID, strawberry.argument(
    description="The scene instance's global ID.")]


@strawberry.input(description="The scene whose asset instances to create.")
class InheritSceneAssetsInput:
    scene_id: strawberry.ID = strawberry.field(description="The scene asset's global ID.")
    mode: InheritMode | None = strawberry.field(
        default=None, description="CREATE (the default), MERGE or REPLACE.")
    replace: bool = strawberry.field(
        default=False, description="The same as mode: REPLACE (kept for older clients).")
    from_scene_id: strawberry.ID | None = strawberry.field(
        default=None, description="Inherit from this earlier scene of the same film instead "
                                  "of the one just before; a later scene is INVALID.")


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


@strawberry.input(description="A project asset to bring into a scene.")
class AddSceneAssetInput:
    scene_id: strawberry.ID = strawberry.field(description="The scene asset's global ID.")
    project_asset_id: strawberry.ID = strawberry.field(
        description="A member of the film's project (not a film, scene, shot or instance).")
    description_override: str | None = strawberry.field(
        default=None, description="The instance's description, recorded as an override; "
                                  "null keeps the project asset's.")
    status_tags: list[str] = strawberry.field(
        default_factory=list, description="Its state in this scene (muddy, torn shirt, ...).")
    carry_forward: bool = strawberry.field(
        default=True, description="Whether the next scene inherits this instance's state.")
    propagate: bool = strawberry.field(
        default=False, description="Also give each later scene that was already inherited its "
                                   "own instance, down the chain, until a scene that has one.")


@strawberry.type(description="The result of addSceneAsset.")
class AddSceneAssetPayload:
    instance: Asset | None = strawberry.field(description="The new instance; null when refused.")
    propagated: list[Asset] = strawberry.field(
        description="The instances made in later scenes, in scene order.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.type(description="A later scene's instance that propagation left alone.")
class SkippedInstance:
    instance: Asset = strawberry.field(description="The instance left as it is.")
    reason: SkipReason = strawberry.field(description="Why.")


def _skipped(found: list[Skipped]) -> list[SkippedInstance]:
    return [SkippedInstance(instance=Asset.from_record(s.instance), reason=s.reason)
            for s in found]


@strawberry.type(description="The result of removeSceneAsset.")
class RemoveSceneAssetPayload:
    instance: Asset | None = strawberry.field(
        description="The removed (soft-deleted) instance; null when refused.")
    removed: list[Asset] = strawberry.field(
        description="With propagate: the later scenes' instances removed with it.")
    kept: list[SkippedInstance] = strawberry.field(
        description="With propagate: the later instance that stopped the removal, and why.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.type(description="The result of propagateSceneAsset.")
class PropagateSceneAssetPayload:
    instance: Asset | None = strawberry.field(description="The instance propagated from.")
    updated: list[Asset] = strawberry.field(
        description="The later instances that took its state, in scene order.")
    skipped: list[SkippedInstance] = strawberry.field(
        description="The later instance that stopped the propagation, and why.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.input(description="Which style applies to a project, a film, a scene or an asset.")
class SetStyleInput:
    target_id: strawberry.ID = strawberry.field(
        description="A project collection's or an asset's global ID.")
    style_id: strawberry.ID | None = strawberry.field(
        description="A style asset's global ID; null removes the target's style.")
    style_required: bool | None = strawberry.field(
        default=None, description="On a project: whether image generation in it is refused "
                                  "(STYLE_REQUIRED) when no style applies. Null leaves it.")


@strawberry.type(description="The result of setStyle.")
class SetStylePayload:
    asset: Asset | None = strawberry.field(description="The target, when it is an asset.")
    collection: Collection | None = strawberry.field(
        description="The target, when it is a project collection.")
    style: Asset | None = strawberry.field(description="The style it now has; null for none.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


def _mode(data: InheritSceneAssetsInput) -> InheritMode:
    if data.mode is None:
        return InheritMode.REPLACE if data.replace else InheritMode.CREATE
    if data.replace and data.mode != InheritMode.REPLACE:
        raise DomainError.of(ErrorCode.INVALID, "replace: true means mode: REPLACE; give one "
                             "of them", "replace")
    return data.mode


@strawberry.type
class SceneMutations:
    @strawberry.mutation(
        permission_classes=[CanEdit],
        description="Scene 1 bootstraps from the project's locked assets; a later scene "
                    "inherits from the scene before it.")
    async def inherit_scene_assets(
        self, info: Info, input: Annotated[InheritSceneAssetsInput, strawberry.argument(
            description="The scene, and what to do with instances it already has.")],
    ) -> InheritSceneAssetsPayload:
        async def inherit() -> Inheritance:
            from_scene = (mutation_id(input.from_scene_id, "Asset", "fromSceneId")
                          if input.from_scene_id is not None else None)
            return await use_cases.inherit_scene_assets(
                info.context.tx, mutation_id(input.scene_id, "Asset", "sceneId"),
                mode=_mode(input), from_scene_id=from_scene)

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

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Bring a project asset into a scene (one instance per "
                                     "scene and project asset: a second is CONFLICT).")
    async def add_scene_asset(
        self, info: Info, input: Annotated[AddSceneAssetInput, strawberry.argument(
            description="The scene, the project asset and the instance's state.")],
    ) -> AddSceneAssetPayload:
        async def add() -> AddedSceneAsset:
            return await use_cases.add_scene_asset(info.context.tx, NewSceneAsset(
                scene_id=mutation_id(input.scene_id, "Asset", "sceneId"),
                project_asset_id=mutation_id(input.project_asset_id, "Asset", "projectAssetId"),
                description_override=input.description_override,
                status_tags=input.status_tags, carry_forward=input.carry_forward,
                propagate=input.propagate))

        result, errors = await run_mutation(info, add)
        if result is None:
            return AddSceneAssetPayload(instance=None, propagated=[], errors=errors)
        return AddSceneAssetPayload(
            instance=Asset.from_record(result.instance),
            propagated=[Asset.from_record(p) for p in result.propagated], errors=[])

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Soft-delete a scene instance (no DEPENDENTS_EXIST: later "
                                     "scenes keep theirs unless propagate).")
    async def remove_scene_asset(
        self, info: Info, instance_id: InstanceId,
        propagate: Annotated[bool, strawberry.argument(
            description="Also remove each later scene's instance inherited down the chain and "
                        "not edited since, until the first that was.")] = False,
    ) -> RemoveSceneAssetPayload:
        async def remove() -> Removal:
            return await use_cases.remove_scene_asset(
                info.context.tx, mutation_id(instance_id, "Asset", "instanceId"),
                propagate=propagate)

        result, errors = await run_mutation(info, remove)
        if result is None:
            return RemoveSceneAssetPayload(instance=None, removed=[], kept=[], errors=errors)
        return RemoveSceneAssetPayload(
            instance=Asset.from_record(result.instance),
            removed=[Asset.from_record(r) for r in result.removed],
            kept=_skipped(result.kept), errors=[])

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Push an instance's state to the later scenes' instances "
                                     "inherited down its chain and not edited since.")
    async def propagate_scene_asset(
        self, info: Info, instance_id: InstanceId,
    ) -> PropagateSceneAssetPayload:
        async def propagate() -> Propagation:
            return await use_cases.propagate_scene_asset(
                info.context.tx, mutation_id(instance_id, "Asset", "instanceId"))

        result, errors = await run_mutation(info, propagate)
        if result is None:
            return PropagateSceneAssetPayload(instance=None, updated=[], skipped=[],
                                              errors=errors)
        return PropagateSceneAssetPayload(
            instance=Asset.from_record(result.instance),
            updated=[Asset.from_record(u) for u in result.updated],
            skipped=_skipped(result.skipped), errors=[])

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Set (or remove) the style of a project collection, a "
                                     "film, a scene or an asset.")
    async def set_style(
        self, info: Info, input: Annotated[SetStyleInput, strawberry.argument(
            description="The target and its style.")],
    ) -> SetStylePayload:
        async def set_style() -> styles.StyleSet:
            style_id = (mutation_id(input.style_id, "Asset", "styleId")
                        if input.style_id is not None else None)
            collection_id = decode_uuid(input.target_id, "Collection")
            if collection_id is not None:
                return await styles.set_project_style(info.context.tx, collection_id, style_id,
                                                      input.style_required)
            target = mutation_id(input.target_id, "Asset", "targetId")
            if input.style_required is not None:
                raise DomainError.of(ErrorCode.INVALID, "styleRequired is set on a project "
                                     "collection", "styleRequired")
            return await styles.set_asset_style(info.context.tx, target, style_id)

        result, errors = await run_mutation(info, set_style)
        if result is None:
            return SetStylePayload(asset=None, collection=None, style=None, errors=errors)
        return SetStylePayload(
            asset=Asset.from_record(result.asset) if result.asset else None,
            collection=Collection.from_record(result.collection) if result.collection else None,
            style=Asset.from_record(result.style) if result.style else None, errors=[])
