"""The graph `import-legacy` builds from the legacy fixture: libraries, project assets and
their sync state, films, scenes, shots, instances and their inheritance, branches, costs."""

import hashlib
from decimal import Decimal

import asyncpg
from sqlalchemy import select

from domain.collections.queries import get_collections
from domain.db import transaction
from domain.storage import BlobStore
from domain.tables import jobs
from schema.inputs import to_global_id
from tests.conftest import GraphQLClient, SavepointDatabase, WorkspaceTokens
from tests.fixtures.legacy import ID, at
from tests.legacy.conftest import Legacy, import_legacy
from tests.legacy.helpers import asset_id, by_legacy_id, collection_id, parents


async def test_the_library_and_project_assets_keep_their_state(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
    gql: GraphQLClient,
) -> None:
    # given the studio imported
    await import_legacy(db, workspace.id, legacy, store)
    # when the library and project assets are looked up by legacy id
    found = await by_legacy_id(gql, "g_john", "g_lamp", "noir", "pa_john", "pa_lamp",
                               "pa_harbour", "pa_dragon", "pa_broken")
    # then the unknown type and the failed project's asset are not there
    assert sorted(found) == ["g_john", "g_lamp", "noir", "pa_harbour", "pa_john", "pa_lamp"]
    john, lamp, noir = found["g_john"], found["g_lamp"], found["noir"]
    # and library assets keep their version, timestamps, file and style
    assert (john["type"], john["origin"], john["version"], john["source"]) == (
        "character_ref", "LIBRARY", 3, "import")
    assert (john["createdAt"], john["updatedAt"]) == (at(2).isoformat(), at(3).isoformat())
    john_png = legacy.studio.files[f"global/{ID('alice')}/{ID('g_john')}.png"]
    assert john["file"] == {"sha256": hashlib.sha256(john_png).hexdigest(),
                            "size": len(john_png), "mimeType": "image/png"}
    assert (lamp["file"], lamp["version"]) == (None, 2)
    assert parents(john, "USED_IN") == [] and noir["type"] == "style"
    assert noir["metadata"] == {"capsule_type": "visual", "prompt_suffix": "film noir, 35mm",
                                "legacy": {**noir["metadata"]["legacy"], "table":
                                           "style_capsules", "id": str(ID("noir")),
                                           "user_id": str(ID("alice"))}}
    # and a cloned project asset keeps its sync state, lock and style
    pa_john = found["pa_john"]
    assert (pa_john["origin"], pa_john["locked"], pa_john["source"], pa_john["description"]) == (
        "PROJECT", True, "derivative", "a man in a dirty, torn suit")
    assert pa_john["sync"] == {"relationshipType": "DERIVED_FROM", "sourceVersion": 3,
                               "currentSourceVersion": 3, "outdated": False,
                               "overriddenFields": ["description"],
                               "source": {"name": "John Doe"}}
    clone_edge = next(e["node"] for e in pa_john["parents"]["edges"]
                      if e["node"]["type"] == "DERIVED_FROM")
    assert clone_edge["metadata"]["synced_at"] == at(5).isoformat()
    assert clone_edge["metadata"]["base"] == {
        "name": "John Doe", "description": "a tall man in a clean suit",
        "generation_prompt": "", "url": john["url"], "tags": [],
        "file": {"sha256": john["file"]["sha256"], "mime_type": "image/png",
                 "size": john["file"]["size"]}}
    assert pa_john["file"]["sha256"] != john["file"]["sha256"]  # the localised copy
    # and the one synced before its library asset changed has an update available
    assert (found["pa_lamp"]["sync"]["sourceVersion"], found["pa_lamp"]["sync"]["outdated"]) == (
        1, True)
    assert (found["pa_harbour"]["sync"], found["pa_harbour"]["locked"]) == (None, False)
    style = await gql("query ($id: ID!) { asset(id: $id) { effectiveStyle { name } } }",
                      {"id": await asset_id(gql, "pa_john")})
    assert style["data"]["asset"]["effectiveStyle"] == {"name": "Wet noir"}


async def test_scenes_shots_and_instances_form_the_film(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
    gql: GraphQLClient,
) -> None:
    # given the studio imported
    await import_legacy(db, workspace.id, legacy, store)
    found = await by_legacy_id(gql, "s1", "s2", "s3", "1B", "i1_john", "i2_john", "i3_john",
                               "i1_lamp", "i2_lamp", "i3_lamp", "i1_harbour", "ia1_john")
    # then scenes are PART_OF the film by number, shots PART_OF their scene
    assert [parents(found[s], "PART_OF") for s in ("s1", "s2", "s3")] == [
        [(1, "Night Ledger", str(ID("b_main")))], [(2, "Night Ledger", str(ID("b_main")))],
        [(3, "Night Ledger", str(ID("b_main")))]]
    assert found["s1"]["metadata"] == {
        "script_excerpt": "EXT-ALLEY-NIGHT. Rain.", "status": "draft",
        "end_state_summary": "Mara leaves", "continuity_risk": "low",
        "legacy": found["s1"]["metadata"]["legacy"]}
    assert parents(found["1B"], "PART_OF") == [(2, "ext-alley-night", str(ID("s1")))]
    # and instances are VARIANT_OF their project asset, USED_IN their scene, DERIVED_FROM the
    # instance they inherited from, with their override, tags, carry-forward and edits
    i1, i2, i3 = found["i1_john"], found["i2_john"], found["i3_john"]
    assert parents(i2, "VARIANT_OF") == [("John Doe", str(ID("pa_john")))]
    assert parents(i2, "USED_IN") == [("int-office", str(ID("s2")))]
    assert parents(i2, "DERIVED_FROM") == [("John Doe", str(ID("i1_john")))]
    assert [(n["tags"], n["metadata"]["carry_forward"], n["description"], n["version"],
             n["sceneNumber"]) for n in (i1, i2, i3)] == [
        (["muddy"], True, "a man in a dirty, torn suit", 3, 1),
        (["muddy", "wet"], True, "soaked through", 2, 2),
        (["muddy", "wet"], True, "soaked through", 1, 3)]
    assert {k: i1["metadata"]["legacy"][k] for k in (
        "modification_count", "last_modified_field", "modification_reason")} == {
        "modification_count": 2, "last_modified_field": "status_tags",
        "modification_reason": "dragged through the alley"}
    assert (i1["sync"]["overriddenFields"], i2["sync"]["overriddenFields"]) == (
        ["file", "url"], ["description"])
    assert i1["file"]["sha256"] not in (None, found["i2_john"]["file"]["sha256"])
    assert [(n["inheritance"]["fromInstance"] or {}).get("metadata", {}).get("legacy", {}).get(
        "id") for n in (i1, i2, i3)] == [None, str(ID("i1_john")), str(ID("i2_john"))]
    assert [n["inheritance"]["stale"] for n in (i1, i2, i3)] == [False, False, False]
    assert [n["metadata"]["carry_forward"] for n in (found["i1_lamp"], found["i2_lamp"])] == [
        True, False]
    assert parents(found["i3_lamp"], "DERIVED_FROM") == [("Brass lamp", str(ID("i2_lamp")))]
    # and an instance on the inheritance cycle has no DERIVED_FROM link
    assert parents(found["i1_harbour"], "DERIVED_FROM") == []
    assert parents(found["ia1_john"], "VARIANT_OF") == [("John Doe", str(ID("pa_alt_john")))]


async def test_instance_counts_equal_the_legacy_ones(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
    gql: GraphQLClient,
) -> None:
    # given the studio imported
    await import_legacy(db, workspace.id, legacy, store)
    # when each scene's instances are counted in both
    source = await asyncpg.connect(legacy.url)
    try:
        rows = await source.fetch("SELECT scene_id, count(DISTINCT project_asset_id) AS n "
                                  "FROM scene_asset_instances i WHERE EXISTS (SELECT 1 FROM "
                                  "project_assets a WHERE a.id = i.project_asset_id AND "
                                  "a.asset_type <> 'creature') GROUP BY scene_id")
    finally:
        await source.close()
    in_legacy = {str(r["scene_id"]): r["n"] for r in rows}
    body = await gql("query ($ids: [String!]) { assets(filter: {legacyIds: $ids}) { edges { "
                     "node { metadata instancesConnection { totalCount } } } } }",
                     {"ids": list(in_legacy)})
    imported = {e["node"]["metadata"]["legacy"]["id"]:
                e["node"]["instancesConnection"]["totalCount"]
                for e in body["data"]["assets"]["edges"]}
    # then they are equal for every scene the import has (the scene gone and the failed
    # project's are not), one per (scene, project asset) pair
    assert imported == {k: v for k, v in in_legacy.items()
                        if k not in (str(ID("s4")), str(ID("s5")), str(ID("x1")))}
    assert sum(imported.values()) == 12


COSTS = """query ($collection: ID) { costSummary(collectionId: $collection) { total
  byKind { kind total count } } }"""


async def test_cost_summary_equals_the_legacy_sum_of_job_costs(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
    gql: GraphQLClient,
) -> None:
    # given the studio imported (jobs in every status, a failed one charged)
    await import_legacy(db, workspace.id, legacy, store)
    costs = legacy.studio.job_costs
    # then the workspace's summary is the legacy sum
    whole = (await gql(COSTS))["data"]["costSummary"]
    assert Decimal(str(whole["total"])) == sum(costs.values()) == Decimal("0.22")
    assert whole["byKind"] == [{"kind": "generate_image", "total": 0.22, "count": 5}]
    # and each branch's collection counts its own jobs
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        rows = await tx.execute(select(jobs.c.params["legacy"]["id"].astext.label("id"),
                                       jobs.c.status, jobs.c.attempts, jobs.c.error_code,
                                       jobs.c.idempotency_key, jobs.c.finished_at)
                                .where(jobs.c.workspace_id == tx.ws))
        imported = {r.id: (r.status, r.attempts, r.error_code, r.idempotency_key,
                           r.finished_at) for r in rows}
    assert imported == {
        str(ID("j1")): ("succeeded", 1, None, "job-1", at(61)),
        str(ID("j2")): ("failed", 3, "GENERATION", "job-2", at(61)),
        str(ID("j3")): ("cancelled", 1, "NOT_RUN", "job-3", at(61)),
        str(ID("j4")): ("failed", 1, "INTERRUPTED", None, at(61)),
        str(ID("j5")): ("succeeded", 1, None, "job-5", at(61)),
        str(ID("j6")): ("succeeded", 1, None, "job-6", at(61))}
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        branches = {b: await collection_id(tx, b) for b in ("b_main", "b_alt", "b_hmain",
                                                               "b_cut")}
    totals = {b: (await gql(COSTS, {"collection": to_global_id("Collection", c)}))[
        "data"]["costSummary"]["total"] for b, c in branches.items()}
    assert totals == {"b_main": 0.07, "b_alt": 0.05, "b_hmain": 0.1, "b_cut": 0}


async def test_branches_are_collections_of_their_own(
    db: SavepointDatabase, workspace: WorkspaceTokens, legacy: Legacy, store: BlobStore,
) -> None:
    # when the studio is imported
    await import_legacy(db, workspace.id, legacy, store)
    # then each project's main branch is its root collection, every other branch a branch of
    # it, and a root whose active branch is another names that one
    async with transaction(db, workspace_id=workspace.id, readonly=True) as tx:
        ids = {b: await collection_id(tx, b) for b in ("b_main", "b_alt", "b_hmain", "b_cut")}
        found = await get_collections(tx, list(ids.values()))
    shape = {b: (found[i].name, found[i].type,
                 next((n for n, c in ids.items() if c == found[i].branch_of), None),
                 next((n for n, c in ids.items() if c == found[i].active_branch_id), None))
             for b, i in ids.items()}
    assert shape == {
        "b_main": ("Night Ledger", "project", None, None),
        "b_alt": ("Night Ledger (alt cut)", "project", "b_main", None),
        "b_hmain": ("Harbour Lights", "project", None, "b_cut"),
        "b_cut": ("Harbour Lights (director's cut)", "project", "b_hmain", None)}
    assert found[ids["b_main"]].created_at == at(8)
