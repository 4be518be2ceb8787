"""Typed generation (`generateImage`, `regenerate`) and budgets (`setBudget`, `Budget`)."""

from decimal import Decimal, InvalidOperation
from typing import Annotated
from uuid import UUID

import strawberry

from domain.errors import DomainError, ErrorCode
from domain.jobs import budgets, generation
from domain.jobs.budgets import BudgetPeriod, BudgetStatus
from domain.jobs.generation import AspectRatio, Enqueued, GenerationKind, NewGeneration
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import mutation_id
from schema.permissions import CanEdit
from schema.types.common import enum_type
from schema.types.job import Job

enum_type(GenerationKind, name="GenerationKind", description="What image is wanted.", values={
    GenerationKind.MASTER: "The asset's own (master) image.",
    GenerationKind.SCENE_INSTANCE: "A scene instance as it looks in its scene (status tags, "
                                   "the scene's style).",
    GenerationKind.START_FRAME: "A shot's first frame; references default to the instances "
                                "of the shot's scene.",
    GenerationKind.END_FRAME: "A shot's last frame; references as for START_FRAME.",
    GenerationKind.INPAINT: "Repaint the masked part of the asset's image (maskAssetId).",
})
enum_type(AspectRatio, name="AspectRatio", description="An image's shape (width x height).",
          values={
              AspectRatio.SQUARE: "1024 x 1024.",
              AspectRatio.PORTRAIT: "768 x 1024 (3:4).",
              AspectRatio.LANDSCAPE: "1024 x 768 (4:3).",
              AspectRatio.WIDESCREEN: "1280 x 720 (16:9).",
              AspectRatio.CINEMA: "1344 x 576 (about 2.35:1).",
          })
enum_type(BudgetPeriod, name="BudgetPeriod", description="Over what spending is counted.",
          values={
              BudgetPeriod.MONTH: "The current calendar month (UTC): jobs that finished in it.",
              BudgetPeriod.TOTAL: "Every job ever.",
          })


@strawberry.input(description="An image to generate; what is left out comes from the graph.")
class GenerateImageInput:
    asset_id: strawberry.ID = strawberry.field(description="The asset the image depicts.")
    kind: GenerationKind = strawberry.field(default=GenerationKind.MASTER,
                                            description="What image is wanted.")
    aspect_ratio: AspectRatio | None = strawberry.field(
        default=None, description="Its shape; or give width and height; neither: by the "
                                  "asset's type (character 512x768, location 1024x576, prop "
                                  "512x512, else 768x768).")
    width: int | None = strawberry.field(default=None, description="Pixels, 16 to 4096.")
    height: int | None = strawberry.field(default=None, description="Pixels, 16 to 4096.")
    model: str | None = strawberry.field(default=None,
                                         description="The provider's model, if it has several.")
    seed: int | None = strawberry.field(
        default=None, description="0 to 2147483647; null: a random one (recorded).")
    negative_prompt: str | None = strawberry.field(default=None,
                                                   description="What the image must not show.")
    reference_asset_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At most 16 reference assets; null: the asset's "
                                  "REFERENCE_FOR images, its library source, and for a frame "
                                  "the instances of the shot's scene.")
    style_id: strawberry.ID | None = strawberry.field(
        default=None, description="A style asset; null: the asset's effectiveStyle.")
    mask_asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="For INPAINT only: an asset whose file is the mask.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeated key returns the existing job.")
    provider: str | None = strawberry.field(
        default=None, description="placeholder, thumbnail or http; null: the server's default.")


@strawberry.type(description="The result of generateImage or regenerate.")
class GenerateImagePayload:
    job: Job | None = strawberry.field(description="The queued job; null when refused.")
    estimated_cost: float | None = strawberry.field(
        description="What it is expected to cost (reserved against budgets until it "
                    "finishes), in the provider's currency units.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.type(description="A spending limit and where spending stands against it.")
class Budget:
    status: strawberry.Private[BudgetStatus]
    limit: float = strawberry.field(description="The limit, in currency units.")
    period: BudgetPeriod = strawberry.field(description="Over what spending is counted.")
    spent: float = strawberry.field(
        description="What costSummary counts for the same scope, within the period.")
    reserved: float = strawberry.field(
        description="The estimates of its queued and running jobs.")
    remaining: float = strawberry.field(
        description="limit - spent - reserved, never below 0: what a new job may still "
                    "reserve.")

    @classmethod
    def of(cls, status: BudgetStatus) -> "Budget":
        return cls(status=status, limit=float(status.budget.limit_amount),
                   period=BudgetPeriod(status.budget.period), spent=float(status.spent),
                   reserved=float(status.reserved), remaining=float(status.remaining))


async def budget_of(info: Info, collection_id: UUID | None) -> Budget | None:
    """The budget of a collection (None: of the workspace) with its sums; null when unset.
    Batched: a list of collections asking for theirs costs one look-up."""
    scope = collection_id if collection_id is not None else info.context.tx.ws
    found = await info.context.loaders.budget_by_scope.load(scope)
    return Budget.of(found) if found is not None else None


@strawberry.input(description="A budget of a collection or of the workspace.")
class SetBudgetInput:
    collection_id: strawberry.ID | None = strawberry.field(
        default=None, description="The collection; give this or workspace: true.")
    workspace: bool = strawberry.field(default=False,
                                       description="True: the viewer's workspace's budget.")
    limit: float | None = strawberry.field(
        description="0 to 1e9 currency units; null removes the budget.")
    period: BudgetPeriod = strawberry.field(default=BudgetPeriod.MONTH,
                                            description="MONTH (the default) or TOTAL.")


@strawberry.type(description="The result of setBudget.")
class SetBudgetPayload:
    budget: Budget | None = strawberry.field(
        description="The budget as it now stands; null when removed or refused.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


def _ids(values: list[strawberry.ID] | None, field: str) -> list[UUID] | None:
    if values is None:
        return None
    return [mutation_id(v, "Asset", f"{field}.{i}") for i, v in enumerate(values)]


def _payload(result: tuple[Enqueued | None, list[UserError]]) -> GenerateImagePayload:
    enqueued, errors = result
    if enqueued is None:
        return GenerateImagePayload(job=None, estimated_cost=None, errors=errors)
    return GenerateImagePayload(job=Job.from_record(enqueued.job),
                                estimated_cost=float(enqueued.estimated_cost), errors=[])


@strawberry.type
class GenerationMutations:
    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Queue an image generation; the job records every input "
                                     "it resolved (references, style, size, seed).")
    async def generate_image(
        self, info: Info, input: Annotated[GenerateImageInput, strawberry.argument(
            description="The asset and what to generate.")],
    ) -> GenerateImagePayload:
        async def generate() -> Enqueued:
            new = NewGeneration(
                asset_id=mutation_id(input.asset_id, "Asset", "assetId"), kind=input.kind,
                aspect_ratio=input.aspect_ratio, width=input.width, height=input.height,
                model=input.model, seed=input.seed, negative_prompt=input.negative_prompt,
                reference_ids=_ids(input.reference_asset_ids, "referenceAssetIds"),
                style_id=mutation_id(input.style_id, "Asset", "styleId")
                if input.style_id else None,
                mask_id=mutation_id(input.mask_asset_id, "Asset", "maskAssetId")
                if input.mask_asset_id else None,
                idempotency_key=input.idempotency_key, provider=input.provider)
            return await generation.generate_image(
                info.context.tx, new, estimate=info.context.limits.estimated_cost(
                    input.provider), max_queued=info.context.limits.max_queued_jobs)

        return _payload(await run_mutation(info, generate))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Queue the generation that made this image again, with "
                                     "the same inputs (and another seed, if given).")
    async def regenerate(
        self, info: Info,
        asset_id: Annotated[strawberry.ID, strawberry.argument(
            description="A generated image asset.")],
        seed: Annotated[int | None, strawberry.argument(
            description="A new seed; null keeps the one it used.")] = None,
    ) -> GenerateImagePayload:
        return _payload(await run_mutation(info, lambda: generation.regenerate(
            info.context.tx, mutation_id(asset_id, "Asset", "assetId"), seed=seed,
            estimate_of=info.context.limits.estimated_cost,
            max_queued=info.context.limits.max_queued_jobs)))

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Set or remove the generation budget of a collection or "
                                     "of the workspace.")
    async def set_budget(
        self, info: Info, input: Annotated[SetBudgetInput, strawberry.argument(
            description="Whose budget, its limit and period.")],
    ) -> SetBudgetPayload:
        async def set_budget() -> BudgetStatus | None:
            if input.workspace == (input.collection_id is not None):
                raise DomainError.of(ErrorCode.INVALID, "give collectionId or workspace: true",
                                     "collectionId")
            collection = (mutation_id(input.collection_id, "Collection", "collectionId")
                          if input.collection_id is not None else None)
            try:
                limit = Decimal(str(input.limit)) if input.limit is not None else None
            except InvalidOperation:
                raise DomainError.of(ErrorCode.INVALID, "limit must be a number",
                                     "limit") from None
            if limit is not None and not limit.is_finite():
                raise DomainError.of(ErrorCode.INVALID, "limit must be a number", "limit")
            found = await budgets.set_budget(info.context.tx, collection_id=collection,
                                             limit=limit, period=input.period)
            return (await budgets.statuses(info.context.tx, [found]))[0] if found else None

        status, errors = await run_mutation(info, set_budget)
        return SetBudgetPayload(budget=Budget.of(status) if status else None, errors=errors)
