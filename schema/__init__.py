"""The GraphQL surface: strawberry types, queries, mutations, dataloaders, context, limits.

Resolvers are thin: arguments -> dataloader or domain use case -> type. No SQL here.
"""
