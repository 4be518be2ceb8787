"""Relay basics: the `Node` interface, `PageInfo` (built by `connection`), and the enums several
types share."""

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from domain.assets.vocabulary import AssetOrigin as AssetOrigin
from domain.assets.vocabulary import OrderDirection as OrderDirection
from domain.graph.vocabulary import LineageDirection as LineageDirection
from domain.graph.vocabulary import RelationshipType as RelationshipType

E = TypeVar("E", bound=Enum)


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global ID: opaque, stable, unique across types; pass it to `node(id:)`.")


@strawberry.type(description="Where a page of a connection sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More items follow: pass `endCursor` as `after` to read them.")
    has_previous_page: bool = strawberry.field(
        description="True when this page was read with `after` (items precede it).")
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor; null on an empty page.")
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor, to pass as `after`; null on an empty page.")


def enum_type(cls: type[E], *, name: str, description: str, values: Mapping[E, str]
              ) -> type[E]:
    """Register a domain enum as a GraphQL enum, in place, with a description per value.

    `strawberry.enum` returns the domain's own class: the GraphQL enum *is* the domain enum,
    so resolvers pass members through unconverted and mypy sees a real type. The value
    descriptions are said here, in the schema layer, so the domain stays free of GraphQL."""
    strawberry.enum(cls, name=name, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[cls[value.name]]
    return cls


enum_type(RelationshipType, name="RelationshipType",
          description="How the child stands to the parent, e.g. shot PART_OF film.", values={
              RelationshipType.USED_IN: "The child is used in the parent: a style or an "
                                        "instance used in a scene, audio used in a film.",
              RelationshipType.DERIVED_FROM: "The child was made from the parent: a clone of a "
                                             "library asset, an upscale, a scene instance from "
                                             "the previous scene's.",
              RelationshipType.VARIANT_OF: "The child is a scene's instance of the parent, a "
                                           "project asset.",
              RelationshipType.PART_OF: "The child is a part of the parent: a scene of a film "
                                        "(sequence = scene number), a shot of a scene.",
              RelationshipType.REFERENCE_FOR: "The child (e.g. an image) is a reference for "
                                              "the parent (e.g. a character).",
              RelationshipType.GENERATED_FROM: "The child was generated from the parent, e.g. "
                                               "an image from the asset it depicts.",
          })
enum_type(LineageDirection, name="LineageDirection",
          description="Which way a lineage walk follows the edges.", values={
              LineageDirection.UPSTREAM: "Towards parents: what the asset comes from.",
              LineageDirection.DOWNSTREAM: "Towards children: what comes from the asset.",
          })
enum_type(AssetOrigin, name="AssetOrigin",
          description="Where an asset stands in the production. Every asset has exactly one "
                      "origin, the first that applies of INSTANCE, LIBRARY, PROJECT, OTHER.",
          values={
              AssetOrigin.INSTANCE: "A scene instance (made by inheritSceneAssets), whatever "
                                    "collections hold it.",
              AssetOrigin.LIBRARY: "Not an instance, and a member of a collection of type "
                                   "library (even if a project holds it too).",
              AssetOrigin.PROJECT: "Neither an instance nor in a library, and a member of a "
                                   "collection of type project (a clone, or made there).",
              AssetOrigin.OTHER: "None of the above: in no library or project collection.",
          })
enum_type(OrderDirection, name="OrderDirection", description="Sort order.", values={
    OrderDirection.ASC: "Ascending: oldest, smallest or A first.",
    OrderDirection.DESC: "Descending: newest, largest or Z first.",
})


def distinct_types(types: list[RelationshipType] | None) -> tuple[RelationshipType, ...] | None:
    """A loader key (hashable); a type asked twice counts once."""
    return None if types is None else tuple(dict.fromkeys(types))
