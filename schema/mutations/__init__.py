"""The root `Mutation`: every mutation returns its object and `errors { code field message }`."""

import strawberry

from schema.generation import GenerationMutations
from schema.jobs import JobMutations
from schema.mutations.assets import AssetMutations
from schema.mutations.branches import BranchMutations
from schema.mutations.collections import CollectionMutations
from schema.mutations.graph import GraphMutations
from schema.mutations.scenes import SceneMutations
from schema.mutations.sync import SyncMutations


@strawberry.type(description="Writes; editor or admin role. Each mutation field is "
                             "all-or-nothing: refused, it writes nothing and says why in "
                             "`errors`.")
class Mutation(AssetMutations, GraphMutations, CollectionMutations, SyncMutations,
               SceneMutations, BranchMutations, JobMutations, GenerationMutations):
    pass
