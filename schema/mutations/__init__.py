"""The root `Mutation`: every mutation returns its object and `errors { code field message }`."""

import strawberry

from schema.mutations.assets import AssetMutations
from schema.mutations.collections import CollectionMutations
from schema.mutations.graph import GraphMutations


@strawberry.type
class Mutation(AssetMutations, GraphMutations, CollectionMutations):
    pass
