"""Branch mutations: fork a project, choose which branch is active."""

from typing import Annotated

import strawberry

from domain.branches import use_cases
from domain.branches.use_cases import Fork
from domain.records import CollectionRecord
from schema.context import Info
from schema.errors import UserError, run_mutation
from schema.inputs import mutation_id
from schema.permissions import CanEdit
from schema.types.collection import Collection


@strawberry.input(description="The project to fork and its new branch's name.")
class ForkProjectInput:
    project_id: strawberry.ID = strawberry.field(
        description="A project collection's global ID (a branch is a project too, and may be "
                    "forked).")
    name: str = strawberry.field(description="The new branch's name: 1 to 255 characters, not "
                                             "blank.")


@strawberry.type(description="The result of forkProject.")
class ForkProjectPayload:
    project: Collection | None = strawberry.field(
        description="The new branch: a project collection whose branchOf is the forked "
                    "project; null when refused.")
    copied: int = strawberry.field(
        description="How many assets the fork made: the project's live members, their parts "
                    "(a film's scenes, their shots), its scenes' live instances, and the "
                    "removed instances those were inherited from (kept, removed, so that "
                    "staleness reads as it did). 0 when refused.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.input(description="A project and the branch to make active.")
class SetActiveBranchInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project collection's global ID.")
    branch_id: strawberry.ID = strawberry.field(
        description="The project itself (nothing but the project is active), one of its "
                    "branches, or a fork of one of them; any other collection is INVALID.")


@strawberry.type(description="The result of setActiveBranch.")
class SetActiveBranchPayload:
    project: Collection | None = strawberry.field(
        description="The project, its activeBranch as set; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was written; empty on success.")


@strawberry.type
class BranchMutations:
    @strawberry.mutation(
        permission_classes=[CanEdit],
        description="A new project, a branch of the given one, holding a copy of everything "
                    "it holds (film, scenes, shots, project assets, other members, the scenes' "
                    "instances) with the edges among them; each copy DERIVED_FROM its original "
                    "(provenance, no sync state), a project asset's copy syncing from the same "
                    "library asset, an instance's copy a VARIANT_OF the branch's project asset. "
                    "Files are shared, never copied.")
    async def fork_project(
        self, info: Info, input: Annotated[ForkProjectInput, strawberry.argument(
            description="The project and the branch's name.")],
    ) -> ForkProjectPayload:
        async def fork() -> Fork:
            return await use_cases.fork_project(
                info.context.tx, mutation_id(input.project_id, "Collection", "projectId"),
                input.name)

        result, errors = await run_mutation(info, fork)
        if result is None:
            return ForkProjectPayload(project=None, copied=0, errors=errors)
        return ForkProjectPayload(project=Collection.from_record(result.project),
                                  copied=result.copied, errors=[])

    @strawberry.mutation(permission_classes=[CanEdit],
                         description="Choose the project's active branch (Collection."
                                     "activeBranch).")
    async def set_active_branch(
        self, info: Info, input: Annotated[SetActiveBranchInput, strawberry.argument(
            description="The project and the branch.")],
    ) -> SetActiveBranchPayload:
        async def set_active() -> CollectionRecord:
            return await use_cases.set_active_branch(
                info.context.tx, mutation_id(input.project_id, "Collection", "projectId"),
                mutation_id(input.branch_id, "Collection", "branchId"))

        record, errors = await run_mutation(info, set_active)
        return SetActiveBranchPayload(
            project=Collection.from_record(record) if record else None, errors=errors)
