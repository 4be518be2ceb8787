"""`assetgraph demo` builds an explorable production through the use cases."""

import io
from pathlib import Path

import httpx
from PIL import Image

from api.demo import load_demo
from domain.storage import LocalBlobStore
from tests.conftest import (
    BLOBS,
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
)

FILM = """{ assets(filter: {types: ["film"]}, first: 10) { edges { node { name
  children(types: [PART_OF], first: 20) { edges { node { sequence child { name
    children(types: [PART_OF], first: 10) { totalCount }
    instancesConnection(first: 10) { edges { node { name tags carryForward
      inheritance { stale staleReason fromScene { name } } } } } } } } } } } } }"""
PROJECT = """{ collections(types: ["project"]) { edges { node { assets(types: ["character_ref"]) {
  edges { node { name locked sync { outdated overriddenFields conflicts { field } } } } } } } } }"""


async def test_demo_builds_library_project_and_inherited_scenes(
    db: SavepointDatabase, workspace: WorkspaceTokens, gql: GraphQLClient, tmp_path: Path
) -> None:
    summary = await load_demo(db, workspace.id, store=LocalBlobStore(tmp_path / "blobs"),
                              jobs=dev_settings().jobs)
    assert summary == {"workspace_id": str(workspace.id), "library_assets": 7,
                       "project_assets": 6, "film": "Night Ledger", "scenes": 5,
                       "instances": 23, "images_generated": 3}
    film = (await gql(FILM))["data"]["assets"]["edges"][0]["node"]
    cold_open, *scenes = [e["node"] for e in film["children"]["edges"]]
    assert [(s["sequence"], s["child"]["name"], s["child"]["children"]["totalCount"])
            for s in scenes] == [(2, "Scene 1: The Rain", 2), (3, "Scene 2: The Office", 2),
                                 (4, "Scene 3: The Docks", 1), (5, "Scene 4: The Reckoning", 2)]
    # the cold open, cut from the last scene and moved first, holds one stale instance
    assert (cold_open["sequence"], cold_open["child"]["name"]) == (1, "Cold open")
    assert [e["node"] for e in cold_open["child"]["instancesConnection"]["edges"]] == [
        {"name": "Mara", "tags": [], "carryForward": True, "inheritance": {
            "stale": True, "staleReason": "SCENE_ORDER_CHANGED",
            "fromScene": {"name": "Scene 4: The Reckoning"}}}]
    stale = [i["node"]["name"] for s in scenes for i in s["child"]["instancesConnection"]["edges"]
             if i["node"]["inheritance"]["stale"]]
    assert stale == []
    # the brass lamp enters at scene 3, flickering, and was propagated to scene 4
    lamps = [[i["node"]["tags"] for i in s["child"]["instancesConnection"]["edges"]
              if i["node"]["name"] == "Brass lamp"] for s in scenes]
    assert lamps == [[], [], [["flickering"]], [["flickering"]]]
    ledgers = [{k: v for k, v in next(
        i["node"] for i in s["child"]["instancesConnection"]["edges"]
        if i["node"]["name"] == "Ledger").items() if k != "inheritance"} for s in scenes]
    assert ledgers == [
        {"name": "Ledger", "tags": [], "carryForward": True},
        {"name": "Ledger", "tags": ["torn"], "carryForward": False},
        {"name": "Ledger", "tags": [], "carryForward": False},
        {"name": "Ledger", "tags": [], "carryForward": False}]
    johns = [next(i["node"] for i in s["child"]["instancesConnection"]["edges"]
                  if i["node"]["name"] == "John Doe")["tags"]
             for s in scenes]
    assert johns == [["muddy", "wet"]] * 4
    characters = (await gql(PROJECT))["data"]["collections"]["edges"][0]["node"]["assets"]
    assert [e["node"] for e in characters["edges"]] == [
        {"name": "John Doe", "locked": True, "sync": {
            "outdated": True, "overriddenFields": ["description"],
            "conflicts": [{"field": "description"}]}},
        {"name": "Mara", "locked": True, "sync": {
            "outdated": False, "overriddenFields": ["description"], "conflicts": []}}]


IMAGES = """{ project: collections(types: ["project"]) { edges { node { styleRequired
  style { name } } } }
  images: assets(filter: {types: ["image"], sources: ["generation"]}) { edges { node {
    generationPrompt generationCost file { mimeType } parents(types: [GENERATED_FROM]) {
      edges { node { parent { name } } } } } } } }"""


async def test_demo_generates_styled_images_with_files_and_costs(
    db: SavepointDatabase, workspace: WorkspaceTokens, gql: GraphQLClient, tmp_path: Path
) -> None:
    # when the demo is loaded with a blob store
    await load_demo(db, workspace.id, store=LocalBlobStore(tmp_path / "blobs"),
                    jobs=dev_settings().jobs)
    body = (await gql(IMAGES))["data"]
    # then the project requires its style, and three placeholder images were generated with
    # files and costs, the instances' prompts carrying their status and the project's style
    assert body["project"]["edges"] == [
        {"node": {"styleRequired": True, "style": {"name": "Wet noir"}}}]
    images = sorted((e["node"]["parents"]["edges"][0]["node"]["parent"]["name"],
                     e["node"]["generationPrompt"], e["node"]["generationCost"],
                     e["node"]["file"]["mimeType"]) for e in body["images"]["edges"])
    assert images == [
        ("Brass lamp", "a green-shaded brass desk lamp, flickering, film noir, 35mm", 0.01,
         "image/png"),
        ("John Doe", "a man in a dirty, torn suit, muddy, wet, film noir, 35mm", 0.01,
         "image/png"),
        ("John Doe", "a tall man in a navy suit", 0.01, "image/png")]
    cost = await gql("""{ costSummary { total } }""")
    assert cost["data"]["costSummary"] == {"total": 0.03}


DEMO_FILES = """{ assets(filter: {types: ["image"], sources: ["generation"]}) { edges { node {
  file { mimeType url thumbnail(size: SMALL) } } } } }"""


async def test_the_demos_images_load_in_a_browser_with_their_thumbnails(
    db: SavepointDatabase, workspace: WorkspaceTokens, gql: GraphQLClient,
    http: httpx.AsyncClient,
) -> None:
    # given the demo loaded into the store the server reads
    await load_demo(db, workspace.id, store=LocalBlobStore(BLOBS), jobs=dev_settings().jobs)
    # when each generated image's URL and small thumbnail are loaded with no header
    files = [e["node"]["file"] for e in (await gql(DEMO_FILES))["data"]["assets"]["edges"]]
    loaded = [(await http.get(f["url"]), await http.get(f["thumbnail"])) for f in files]
    # then all three give a PNG and a WebP no larger than 128 pixels
    shapes = []
    for image, thumbnail in loaded:
        with Image.open(io.BytesIO(image.content)) as full, \
                Image.open(io.BytesIO(thumbnail.content)) as small:
            shapes.append((image.status_code, full.format, thumbnail.status_code, small.format,
                           max(small.size)))
    assert shapes == [(200, "PNG", 200, "WEBP", 128)] * 3
