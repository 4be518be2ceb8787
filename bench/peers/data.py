"""The peers benchmark's data set, built with the domain's use cases (the speed is not measured).

- W1: a `project` collection of 10 films, each with 10 scenes `part_of` it (sequence 1..10),
  each scene with 10 shots `part_of` it: 1,110 assets.
- W2: one film with 10 scenes `part_of` it.
- W3: 100 `video` roots, each at the end of an upstream chain of 20 `audio` ancestors linked
  `derived_from`: 2,100 assets. No other video or audio asset exists, so `type` selects them.
- W4: a `library` of 40 `character_ref` assets (metadata, tags), cloned 2x into a `project`
  (each clone `derived_from` its source, with sync metadata on the edge), every clone tagged
  `muddy` or `wet` (the sources `hero` or `villain`), each with one `image` `reference_for` it.
  The project's members in order are the tag filter's matches in creation order, which lets
  PostGraphile (no array filter by default) reach the same 50 assets through the collection.
"""

from dataclasses import dataclass
from uuid import UUID

from domain.assets.use_cases import NewAsset, create_asset, update_asset
from domain.collections.use_cases import add_to_collection, create_collection
from domain.db import Database, transaction
from domain.graph.use_cases import link_assets
from domain.sync.use_cases import clone_asset

W1_FILMS = 10
W1_SCENES = 10
W1_SHOTS = 10
W3_ROOTS = 100
W3_DEPTH = 20
W4_SOURCES = 40
W4_CLONES_PER_SOURCE = 3
W4_TAGS = ["muddy", "wet"]


@dataclass(frozen=True)
class Dataset:
    """Raw UUIDs of the entry points of each workload."""

    workspace_id: UUID
    w1_collection: UUID
    w2_film: UUID
    w3_roots: list[UUID]
    w4_project: UUID
    w4_matching: int  # clones carrying one of W4_TAGS


async def build(database: Database, workspace_id: UUID) -> Dataset:
    """Build every workload's data in the workspace (one transaction per part)."""
    async with transaction(database, workspace_id=workspace_id, actor="bench") as tx:
        project = await create_collection(tx, name="W1 project", type="project")
        for f in range(W1_FILMS):
            film = await create_asset(tx, NewAsset(type="film", name=f"Film {f + 1}"))
            await add_to_collection(tx, collection_id=project.id, asset_id=film.id,
                                    sequence=f + 1)
            for s in range(W1_SCENES):
                scene = await create_asset(
                    tx, NewAsset(type="scene", name=f"Scene {f + 1}.{s + 1}",
                                 metadata={"setting": "INT. STUDIO"}))
                await link_assets(tx, parent_id=film.id, child_id=scene.id,
                                  relationship_type="part_of", sequence=s + 1)
                for t in range(W1_SHOTS):
                    shot = await create_asset(
                        tx, NewAsset(type="shot", name=f"Shot {f + 1}.{s + 1}.{t + 1}"))
                    await link_assets(tx, parent_id=scene.id, child_id=shot.id,
                                      relationship_type="part_of", sequence=t + 1)
    async with transaction(database, workspace_id=workspace_id, actor="bench") as tx:
        w2_film = await create_asset(tx, NewAsset(type="film", name="W2 film"))
        for s in range(10):
            scene = await create_asset(tx, NewAsset(type="scene", name=f"W2 scene {s + 1}"))
            await link_assets(tx, parent_id=w2_film.id, child_id=scene.id,
                              relationship_type="part_of", sequence=s + 1)
    roots: list[UUID] = []
    for r in range(W3_ROOTS):
        async with transaction(database, workspace_id=workspace_id, actor="bench") as tx:
            # Oldest ancestor first: each new asset derives from the previous one.
            previous = await create_asset(
                tx, NewAsset(type="audio", name=f"W3 chain {r + 1} depth {W3_DEPTH}"))
            for depth in range(W3_DEPTH - 1, -1, -1):
                asset = await create_asset(tx, NewAsset(
                    type="video" if depth == 0 else "audio",
                    name=f"W3 root {r + 1}" if depth == 0 else f"W3 chain {r + 1} depth {depth}"))
                await link_assets(tx, parent_id=previous.id, child_id=asset.id,
                                  relationship_type="derived_from")
                previous = asset
            roots.append(previous.id)
    matching = 0
    async with transaction(database, workspace_id=workspace_id, actor="bench") as tx:
        library = await create_collection(tx, name="W4 library", type="library")
        w4_project = await create_collection(tx, name="W4 project", type="project")
        for i in range(W4_SOURCES):
            source = await create_asset(tx, NewAsset(
                type="character_ref", name=f"Character {i + 1}",
                description=f"Character {i + 1}, as written in the script.",
                metadata={"attributes": {"height": 170 + i, "eyes": "green"},
                          "aliases": [f"C{i + 1}"]},
                tags=["hero" if i % 2 else "villain"]))
            await add_to_collection(tx, collection_id=library.id, asset_id=source.id)
            for c in range(W4_CLONES_PER_SOURCE):
                clone = await clone_asset(
                    tx, source_id=source.id, collection_id=w4_project.id,
                    name_strategy="custom", custom_name=f"Character {i + 1} take {c + 1}")
                await update_asset(tx, clone.id, {"tags": [W4_TAGS[c % 2], "scene-1"]})
                matching += 1
                image = await create_asset(tx, NewAsset(
                    type="image", name=f"Character {i + 1} take {c + 1} image",
                    url=f"https://example.invalid/c{i + 1}-{c + 1}.png"))
                await link_assets(tx, parent_id=clone.id, child_id=image.id,
                                  relationship_type="reference_for")
    return Dataset(workspace_id, project.id, w2_film.id, roots, w4_project.id, matching)
