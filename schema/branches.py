"""compareBranches: how one branch of a project differs from another."""

import asyncio
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from domain.branches import compare
from domain.branches.rules import FieldChange
from schema.context import Info
from schema.inputs import bad_input, query_id
from schema.permissions import CanRead
from schema.types.asset import Asset


@strawberry.type(description="A field whose value differs between two paired assets.")
class FieldDifference:
    field: str = strawberry.field(
        description="The field, named as overriddenFields names it: name, description, "
                    "generation_prompt, url, file, tags (a scene instance's: its status tags) "
                    "or metadata.<key>.")
    base_value: JSON | None = strawberry.field(
        description="Its value on the base branch's asset; null when it has none.")
    other_value: JSON | None = strawberry.field(
        description="Its value on the other branch's asset; null when it has none.")

    @classmethod
    def of(cls, change: FieldChange) -> "FieldDifference":
        return cls(field=change.field, base_value=JSON(change.base_value),
                   other_value=JSON(change.other_value))


@strawberry.type(description="An asset of the base branch, its counterpart in the other, and "
                             "the fields in which they differ.")
class ChangedAsset:
    base: Asset = strawberry.field(description="The asset in the base branch.")
    other: Asset = strawberry.field(description="Its counterpart in the other branch.")
    fields: list[FieldDifference] = strawberry.field(
        description="The differing fields: name, description, generation_prompt, url, file, "
                    "tags in that order, then metadata keys by name.")

    @classmethod
    def of(cls, changed: compare.ChangedAsset) -> "ChangedAsset":
        return cls(base=Asset.from_record(changed.base), other=Asset.from_record(changed.other),
                   fields=[FieldDifference.of(f) for f in changed.fields])


LIMIT = compare.COMPARE_LIMIT


@strawberry.type(description=f"How the other branch differs from the base, over both "
                             f"projects' live assets (members, their parts, the scenes' "
                             f"instances). Assets pair through fork provenance: one is a "
                             f"forkProject copy of the other, at any depth, or both are "
                             f"copies of one original. Each list holds at most its first "
                             f"{LIMIT} entries; the counts say how many there are.")
class BranchComparison:
    added: list[Asset] = strawberry.field(
        description=f"Assets of the other branch with no counterpart in the base (made or "
                    f"brought there since, or removed from the base), oldest first; at most "
                    f"{LIMIT}.")
    removed: list[Asset] = strawberry.field(
        description=f"Assets of the base with no counterpart in the other branch (removed "
                    f"there, or made in the base since), oldest first; at most {LIMIT}.")
    changed: list[ChangedAsset] = strawberry.field(
        description=f"Paired assets whose compared fields differ, by the base asset, oldest "
                    f"first; the first {LIMIT}. Other differences (edges, lock, sync state, "
                    f"an instance's carryForward) are not compared.")
    added_count: int = strawberry.field(description="How many assets `added` would list "
                                                    "without its limit.")
    removed_count: int = strawberry.field(description="How many assets `removed` would list "
                                                      "without its limit.")
    changed_count: int = strawberry.field(description="How many pairs `changed` would list "
                                                      "without its limit.")

    @classmethod
    def of(cls, found: compare.Comparison) -> "BranchComparison":
        return cls(added=[Asset.from_record(a) for a in found.added],
                   removed=[Asset.from_record(a) for a in found.removed],
                   changed=[ChangedAsset.of(c) for c in found.changed],
                   added_count=found.added_count, removed_count=found.removed_count,
                   changed_count=found.changed_count)


ProjectId = Annotated[strawberry.ID, strawberry.argument(
    description="A project collection's global ID.")]


@strawberry.type
class BranchQueries:
    @strawberry.field(permission_classes=[CanRead],
                      description="How the other branch differs from the base: assets added, "
                                  "removed and changed (per field, with both values). Null "
                                  "when either project does not exist; a collection that is "
                                  "no project is INVALID.")
    async def compare_branches(self, info: Info, base_id: ProjectId, other_id: ProjectId
                               ) -> BranchComparison | None:
        ids = (query_id(base_id, "Collection", "baseId"),
               query_id(other_id, "Collection", "otherId"))
        loaders = info.context.loaders
        found = await asyncio.gather(*(loaders.collection_by_id.load(i) for i in ids))
        for record, field in zip(found, ("baseId", "otherId"), strict=True):
            if record is None:
                return None
            if record.type != "project":
                raise bad_input(f"collection {record.name!r} is a {record.type}, not a "
                                "project", field)
        return BranchComparison.of(await compare.compare_branches(info.context.tx, *ids))
