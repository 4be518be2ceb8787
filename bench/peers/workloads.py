"""What each contender is asked per workload, and how one response is checked before measuring.

Every request is a POST with a JSON body: GraphQL for assetgraph and PostGraphile, the
statement's parameters for the raw baseline. `count` reads the number of leaf nodes out of a
response so a broken contender is reported instead of measured.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.peers.data import W3_DEPTH, W4_TAGS, Dataset
from schema.inputs import to_global_id

CONTENDERS = ("assetgraph", "postgraphile", "raw")


@dataclass(frozen=True)
class Workload:
    label: str  # as printed, e.g. "W1/32"
    key: str  # W1..W4, T, M (what --only selects)
    clients: int
    contenders: tuple[str, ...] = CONTENDERS
    mutation: bool = False


WORKLOADS = [
    Workload("W1/8", "W1", 8),
    Workload("W1/32", "W1", 32),
    Workload("W2", "W2", 8),
    Workload("W3", "W3", 8),
    Workload("W4", "W4", 8),
    Workload("T", "T", 1, ("assetgraph",)),
    Workload("M", "M", 1, ("assetgraph",), mutation=True),
]


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    expected: int  # leaf nodes in a correct response
    count: Callable[[Any], int]
    headers: dict[str, str] = field(default_factory=dict)


def _graphql(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def _raw(**parameters: Any) -> bytes:
    return json.dumps(parameters).encode()


def _nested(value: Any, *path: str) -> list[Any]:
    """Every value at `path`, descending through lists."""
    values = [value]
    for key in path:
        found: list[Any] = []
        for v in values:
            items = v if isinstance(v, list) else [v]
            found.extend(i[key] for i in items if isinstance(i, dict) and i.get(key) is not None)
        values = found
    flat: list[Any] = []
    for v in values:
        flat.extend(v if isinstance(v, list) else [v])
    return flat


# --- assetgraph ---------------------------------------------------------------------------

AG_W1 = """query ($id: ID!) { collection(id: $id) { id name
  assets(types: ["film"], first: 10) { edges { node { id name
    children(types: [PART_OF], first: 10) { edges { node { child { id name
      children(types: [PART_OF], first: 10) { edges { node { child { id name } } } }
} } } } } } } } }"""

AG_W2 = """query ($id: ID!) { asset(id: $id) { id name
  children(first: 10) { edges { node { child { id name } } } } } }"""

AG_W3 = """query ($types: [String!], $depth: Int!) {
  assets(filter: {types: $types}, first: 100) { edges { node { id name
    lineage(direction: UPSTREAM, maxDepth: $depth, first: 100) {
      isPartial steps { depth asset { id name } } } } } } }"""

AG_W4 = """query ($tags: [String!]) {
  assets(filter: {types: ["character_ref"], tagsAny: $tags}, first: 50) { edges { node {
    id name metadata tags createdAt version
    parents(types: [DERIVED_FROM]) { totalCount edges { node { type metadata parent { name } } } }
    children(types: [REFERENCE_FOR]) { totalCount edges { node { child { name url } } } }
    collections { edges { node { name } } } } } } }"""

AG_T = "{ viewer { role } }"

# --- PostGraphile 5 (amber preset: composite keys name the relations) -----------------------

PG_W1 = """query ($ws: UUID!, $id: UUID!) {
  assetCollectionByWorkspaceIdAndRowId(workspaceId: $ws, rowId: $id) { rowId name
    assetCollectionMembersByWorkspaceIdAndCollectionId(first: 10,
        orderBy: [SEQUENCE_ASC, ROW_ID_ASC]) { nodes {
      assetByWorkspaceIdAndAssetId { rowId name
        assetRelationshipsByWorkspaceIdAndParentAssetId(first: 10,
            condition: {relationshipType: "part_of"}, orderBy: [SEQUENCE_ASC, ROW_ID_ASC]) {
          nodes { assetByWorkspaceIdAndChildAssetId { rowId name
            assetRelationshipsByWorkspaceIdAndParentAssetId(first: 10,
                condition: {relationshipType: "part_of"}, orderBy: [SEQUENCE_ASC, ROW_ID_ASC]) {
              nodes { assetByWorkspaceIdAndChildAssetId { rowId name } } } } } } } } } } }"""

PG_W2 = """query ($ws: UUID!, $id: UUID!) {
  assetByWorkspaceIdAndRowId(workspaceId: $ws, rowId: $id) { rowId name
    assetRelationshipsByWorkspaceIdAndParentAssetId(first: 10,
        orderBy: [SEQUENCE_ASC, ROW_ID_ASC]) {
      nodes { assetByWorkspaceIdAndChildAssetId { rowId name } } } } }"""


def _pg_w3() -> str:
    # No recursion without a custom function: the chain is spelled out, one level per depth.
    inner = "rowId name"
    for _ in range(W3_DEPTH):
        inner = ("rowId name assetRelationshipsByWorkspaceIdAndChildAssetId("
                 "orderBy: [PRIMARY_KEY_ASC]) { nodes { assetByWorkspaceIdAndParentAssetId { "
                 + inner + " } } }")
    return ("query ($ws: UUID!, $type: String!) { allAssets(first: 100, "
            "condition: {workspaceId: $ws, type: $type}, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) "
            "{ nodes { " + inner + " } } }")


PG_W3 = _pg_w3()

# No array filter by default: the same 50 assets, reached as the W4 project's first members.
PG_W4 = """query ($ws: UUID!, $id: UUID!) {
  assetCollectionByWorkspaceIdAndRowId(workspaceId: $ws, rowId: $id) {
    assetCollectionMembersByWorkspaceIdAndCollectionId(first: 50,
        orderBy: [SEQUENCE_ASC, ROW_ID_ASC]) { nodes {
      assetByWorkspaceIdAndAssetId { rowId name metadata tags createdAt version
        parents: assetRelationshipsByWorkspaceIdAndChildAssetId(
            condition: {relationshipType: "derived_from"}) {
          totalCount nodes { relationshipType metadata
            assetByWorkspaceIdAndParentAssetId { name } } }
        children: assetRelationshipsByWorkspaceIdAndParentAssetId(
            condition: {relationshipType: "reference_for"}, orderBy: [SEQUENCE_ASC]) {
          totalCount nodes { assetByWorkspaceIdAndChildAssetId { name url } } }
        assetCollectionMembersByWorkspaceIdAndAssetId { nodes {
          assetCollectionByWorkspaceIdAndCollectionId { name } } } } } } } }"""


def _pg_w3_count(body: Any) -> int:
    level = _nested(body, "data", "allAssets", "nodes")
    total = 0
    for _ in range(W3_DEPTH):
        level = _nested(level, "assetRelationshipsByWorkspaceIdAndChildAssetId", "nodes",
                        "assetByWorkspaceIdAndParentAssetId")
        total += len(level)
    return total


def requests(data: Dataset, token: str) -> dict[tuple[str, str], Request]:
    """(workload key, contender) -> its request."""
    ws = str(data.workspace_id)
    auth = {"Authorization": f"Bearer {token}"}
    film_id = to_global_id("Asset", data.w2_film)
    w1_leaves = ("data", "collection", "assets", "edges", "node", "children", "edges", "node",
                 "child", "children", "edges", "node", "child", "id")
    pg_w1_leaves = ("data", "assetCollectionByWorkspaceIdAndRowId",
                    "assetCollectionMembersByWorkspaceIdAndCollectionId", "nodes",
                    "assetByWorkspaceIdAndAssetId",
                    "assetRelationshipsByWorkspaceIdAndParentAssetId", "nodes",
                    "assetByWorkspaceIdAndChildAssetId",
                    "assetRelationshipsByWorkspaceIdAndParentAssetId", "nodes",
                    "assetByWorkspaceIdAndChildAssetId", "rowId")
    w4_parents = 50  # one derived_from parent per matching asset
    return {
        ("W1", "assetgraph"): Request(
            "/graphql", _graphql(AG_W1, {"id": to_global_id("Collection", data.w1_collection)}),
            1000, lambda b: len(_nested(b, *w1_leaves)), auth),
        ("W1", "postgraphile"): Request(
            "/graphql", _graphql(PG_W1, {"ws": ws, "id": str(data.w1_collection)}),
            1000, lambda b: len(_nested(b, *pg_w1_leaves))),
        ("W1", "raw"): Request(
            "/w1", _raw(workspace=ws, collection=str(data.w1_collection)), 1000,
            lambda b: len(_nested(b, "data", "collection", "assets", "children", "children",
                                  "id"))),
        ("W2", "assetgraph"): Request(
            "/graphql", _graphql(AG_W2, {"id": film_id}), 10,
            lambda b: len(_nested(b, "data", "asset", "children", "edges", "node", "child",
                                  "id")), auth),
        ("W2", "postgraphile"): Request(
            "/graphql", _graphql(PG_W2, {"ws": ws, "id": str(data.w2_film)}), 10,
            lambda b: len(_nested(b, "data", "assetByWorkspaceIdAndRowId",
                                  "assetRelationshipsByWorkspaceIdAndParentAssetId", "nodes",
                                  "assetByWorkspaceIdAndChildAssetId", "rowId"))),
        ("W2", "raw"): Request(
            "/w2", _raw(workspace=ws, asset=str(data.w2_film)), 10,
            lambda b: len(_nested(b, "data", "asset", "children", "id"))),
        ("W3", "assetgraph"): Request(
            "/graphql", _graphql(AG_W3, {"types": ["video"], "depth": W3_DEPTH}),
            len(data.w3_roots) * W3_DEPTH,
            lambda b: len(_nested(b, "data", "assets", "edges", "node", "lineage", "steps",
                                  "asset", "id")), auth),
        ("W3", "postgraphile"): Request(
            "/graphql", _graphql(PG_W3, {"ws": ws, "type": "video"}),
            len(data.w3_roots) * W3_DEPTH, _pg_w3_count),
        ("W3", "raw"): Request(
            "/w3", _raw(workspace=ws, type="video", maxDepth=W3_DEPTH),
            len(data.w3_roots) * W3_DEPTH,
            lambda b: len(_nested(b, "data", "roots", "steps", "asset", "id"))),
        ("W4", "assetgraph"): Request(
            "/graphql", _graphql(AG_W4, {"tags": W4_TAGS}), w4_parents,
            lambda b: len(_nested(b, "data", "assets", "edges", "node", "parents", "edges",
                                  "node", "parent", "name")), auth),
        ("W4", "postgraphile"): Request(
            "/graphql", _graphql(PG_W4, {"ws": ws, "id": str(data.w4_project)}), w4_parents,
            lambda b: len(_nested(b, "data", "assetCollectionByWorkspaceIdAndRowId",
                                  "assetCollectionMembersByWorkspaceIdAndCollectionId", "nodes",
                                  "assetByWorkspaceIdAndAssetId", "parents", "nodes",
                                  "assetByWorkspaceIdAndParentAssetId", "name"))),
        ("W4", "raw"): Request(
            "/w4", _raw(workspace=ws, types=["character_ref"], tagsAny=W4_TAGS, first=50),
            w4_parents,
            lambda b: len(_nested(b, "data", "assets", "parents", "edges", "parent", "name"))),
        ("T", "assetgraph"): Request(
            "/graphql", _graphql(AG_T), 1,
            lambda b: int(_nested(b, "data", "viewer", "role") == ["viewer"]), auth),
    }
