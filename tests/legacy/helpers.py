"""What the legacy fixture's import is expected to give, and look-ups of what it gave."""

from dataclasses import asdict
from typing import Any
from uuid import UUID

from domain.db import Transaction
from domain.legacy.queries import collections_with
from domain.legacy.report import Report
from tests.conftest import GraphQLClient
from tests.fixtures.legacy import ID
from tests.legacy.conftest import Legacy

TABLES = ("users", "style_capsules", "global_assets", "projects", "branches", "scenes", "shots",
          "project_assets", "scene_asset_instances", "image_generation_jobs", "files")
# read, created, updated, unchanged, skipped
FIRST_RUN = {"users": (2, 2, 0, 0, 0), "style_capsules": (2, 2, 0, 0, 0),
             "global_assets": (4, 4, 0, 0, 0), "projects": (3, 2, 0, 0, 1),
             "branches": (5, 4, 0, 0, 1), "scenes": (7, 6, 0, 0, 1), "shots": (4, 4, 0, 0, 0),
             "project_assets": (8, 6, 0, 0, 2), "scene_asset_instances": (18, 12, 0, 0, 6),
             "image_generation_jobs": (6, 6, 0, 0, 0), "files": (4, 3, 0, 0, 1)}


def counts(report: Report) -> dict[str, tuple[int, ...]]:
    return {name: tuple(asdict(c).values()) for name, c in report.tables.items()}


def unchanged(run: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """What a run that changes nothing counts, after `run`."""
    return {name: (read, 0, 0, created + updated + same, skipped)
            for name, (read, created, updated, same, skipped) in run.items()}


def problems(report: Report) -> list[tuple[str, str, str, str]]:
    return sorted((p.kind.value, p.table, p.legacy_id, p.message) for p in report.problems)


def expected_problems(legacy: Legacy) -> list[tuple[str, str, str, str]]:
    instances = "scene_asset_instances"
    cycle = {ID("i1_harbour"): ID("i3_harbour"), ID("i2_harbour"): ID("i1_harbour"),
             ID("i3_harbour"): ID("i2_harbour")}
    walk = [min(cycle, key=str)]
    while len(walk) < 3:
        walk.append(cycle[walk[-1]])
    path = " -> ".join(str(i) for i in [*walk, walk[0]])
    return sorted([
        ("missing_file", "global_assets", str(ID("g_lamp")),
         f"{legacy.studio.missing_path} is not in the files directory"),
        ("unknown_asset_type", "project_assets", str(ID("pa_dragon")),
         "asset type 'creature' is none of character, prop, location"),
        ("orphan", instances, str(ID("i4_john")), f"its scene {ID('s4')} is gone"),
        ("orphan", instances, str(ID("i2_ghost")), f"its project asset {ID('pa_gone')} is gone"),
        ("orphan", instances, str(ID("i5_stray")),
         f"its scene {ID('s5')} and its project asset {ID('pa_ghost')} are gone"),
        ("parent_skipped", instances, str(ID("i1_dragon")),
         f"its project asset {ID('pa_dragon')} was not imported"),
        ("duplicate_instance", instances, str(ID("i3_lamp_dup")),
         f"scene {ID('s3')} already has instance {ID('i3_lamp')} of project asset "
         f"{ID('pa_lamp')}"),
        *(("inheritance_cycle", instances, str(member),
           f"inherited_from_instance_id goes round ({path}): imported without its "
           "DERIVED_FROM link") for member in cycle),
        ("project_failed", "projects", str(ID("p_broken")),
         "rolled back, nothing of it written: DomainError: description is longer than "
         "100000 characters"),
    ])


ASSETS = """query ($ids: [String!]) {
  assets(filter: {legacyIds: $ids, includeDeleted: true}, first: 100) { edges { node {
    name type description url tags metadata locked version createdAt updatedAt source origin
    sceneNumber file { sha256 size mimeType }
    sync { relationshipType sourceVersion currentSourceVersion outdated overriddenFields
           source { name } }
    parents { edges { node { type sequence metadata parent { name metadata } } } }
    inheritance { fromInstance { metadata } stale }
  } } } }"""


async def by_legacy_id(gql: GraphQLClient, *names: str) -> dict[str, dict[str, Any]]:
    """The imported assets of these fixture rows, by row name."""
    body = await gql(ASSETS, {"ids": [str(ID(n)) for n in names]})
    found = {node["metadata"]["legacy"]["id"]: node
             for node in (e["node"] for e in body["data"]["assets"]["edges"])}
    return {name: found[str(ID(name))] for name in names if str(ID(name)) in found}


def parents(node: dict[str, Any], kind: str) -> list[tuple[Any, ...]]:
    """(name, legacy id) of the asset's parents through `kind`, with the edge's sequence
    first for PART_OF (the scene number, the shot order)."""
    return sorted(((e["node"]["sequence"],) if kind == "PART_OF" else ()) + (
        e["node"]["parent"]["name"], e["node"]["parent"]["metadata"].get("legacy", {}).get("id"))
        for e in node["parents"]["edges"] if e["node"]["type"] == kind)


async def asset_id(gql: GraphQLClient, name: str) -> str:
    body = await gql("query ($ids: [String!]) { assets(filter: {legacyIds: $ids}) { edges { "
                     "node { id } } } }", {"ids": [str(ID(name))]})
    return str(body["data"]["assets"]["edges"][0]["node"]["id"])


async def collection_id(tx: Transaction, branch: str) -> UUID:
    """The collection imported from a fixture branch."""
    found = await collections_with(tx, {"legacy": {"table": "branches", "id": str(ID(branch))}})
    return found[0].id
