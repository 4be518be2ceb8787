"""`assetgraph demo`: an explorable production, built through the domain use cases.

A global library (characters with reference images, props, locations, a style); a project
that clones some of them (one with a local override, one outdated with a conflict) and locks
them; a film of four scenes with shots whose instances were inherited scene to scene (one of
them not carried forward).
"""

from typing import Any
from uuid import UUID

from domain.access import get_workspace_by_slug
from domain.assets.use_cases import NewAsset, create_asset, set_locked, update_asset
from domain.collections.use_cases import add_to_collection, create_collection
from domain.db import Database, Transaction, transaction
from domain.errors import not_found
from domain.graph.use_cases import link_assets
from domain.graph.vocabulary import RelationshipType
from domain.records import AssetRecord
from domain.scenes.use_cases import inherit_scene_assets, set_carry_forward
from domain.scenes.vocabulary import InheritMode
from domain.sync.use_cases import clone_asset
from domain.sync.vocabulary import NameStrategy

LIBRARY: list[tuple[str, str, str, dict[str, Any]]] = [
    ("character_ref", "John Doe", "a tall man in a clean suit", {"attributes": {"build": "tall"}}),
    ("character_ref", "Mara", "a weary detective in a long grey coat",
     {"attributes": {"hair": "red", "age": 42}}),
    ("prop", "Ledger", "a leather-bound ledger with a broken clasp", {}),
    ("prop", "Brass lamp", "a green-shaded brass desk lamp", {}),
    ("location", "Harbour", "fog over the harbour at dawn", {"time_of_day": "dawn"}),
    ("location", "Office", "a cluttered detective's office", {"time_of_day": "night"}),
]
SCENES = [
    ("The Rain", "A rain-soaked alley at night", ["Mara finds the ledger", "Close on the ledger"]),
    ("The Office", "A cluttered detective's office", ["Mara reads", "Knock at the door"]),
    ("The Docks", "Fog over the harbour at dawn", ["The handover"]),
    ("The Reckoning", "Back in the office, lamp light", ["John confesses", "Mara walks away"]),
]
IN_PROJECT = ("John Doe", "Mara", "Ledger", "Harbour", "Office")


async def load_demo(database: Database, workspace_id: UUID | None) -> dict[str, Any]:
    if workspace_id is None:
        async with transaction(database, readonly=True) as tx:
            workspace = await get_workspace_by_slug(tx, "default")
        if workspace is None:
            raise not_found("default workspace", "workspace")
        workspace_id = workspace.id
    async with transaction(database, workspace_id=workspace_id, actor="demo") as tx:
        library_assets = await _library(tx)
        project, clones = await _project(tx, library_assets)
        film = await _film(tx, project.id)
        scenes = await _scenes(tx, film, project.id)
    return {
        "workspace_id": str(workspace_id),
        "library_assets": len(library_assets),
        "project_assets": len(clones),
        "film": film.name,
        "scenes": len(scenes),
        "instances": sum(len(s) for s in scenes),
    }


async def _library(tx: Transaction) -> dict[str, AssetRecord]:
    library = await create_collection(tx, name="Global library", type="library",
                                      description="Reusable characters, props and locations")
    found = {}
    for asset_type, name, description, metadata in LIBRARY:
        asset = await create_asset(tx, NewAsset(type=asset_type, name=name,
                                                description=description, metadata=metadata))
        await add_to_collection(tx, collection_id=library.id, asset_id=asset.id)
        found[name] = asset
        if asset_type == "character_ref":
            reference = await create_asset(tx, NewAsset(
                type="image", name=f"{name} reference", description=f"Reference sheet of {name}",
                url=f"https://example.invalid/{name.lower().replace(' ', '-')}.png",
                mime_type="image/png", metadata={"width": 512, "height": 768, "format": "png"}))
            await link_assets(tx, parent_id=asset.id, child_id=reference.id,
                              relationship_type=RelationshipType.REFERENCE_FOR)
    style = await create_asset(tx, NewAsset(
        type="style", name="Wet noir", description="High contrast, sodium light, rain",
        metadata={"palette": ["#0b0c10", "#c5a880"], "prompt_suffix": "film noir, 35mm"}))
    await add_to_collection(tx, collection_id=library.id, asset_id=style.id)
    found["Wet noir"] = style
    return found


async def _project(tx: Transaction, library: dict[str, AssetRecord]) -> tuple[Any, list[Any]]:
    project = await create_collection(tx, name="Night Ledger", type="project",
                                      description="A short noir film")
    clones = {name: await clone_asset(tx, source_id=library[name].id, collection_id=project.id,
                                      name_strategy=NameStrategy.SOURCE) for name in IN_PROJECT}
    # One local override: Mara is younger in this film.
    await update_asset(tx, clones["Mara"].id, {"description": "a young detective in a grey coat"},
                       reason="younger in this film")
    # One conflict: John is edited here, and his library entry changes afterwards.
    await update_asset(tx, clones["John Doe"].id, {"description": "a man in a dirty, torn suit"})
    await update_asset(tx, library["John Doe"].id, {
        "description": "a tall man in a navy suit",
        "metadata": {"attributes": {"build": "tall", "hair": "red"}}}, reason="new look")
    for clone in clones.values():
        await set_locked(tx, clone.id, locked=True)
    return project, list(clones.values())


async def _film(tx: Transaction, project_id: UUID) -> AssetRecord:
    film = await create_asset(tx, NewAsset(
        type="film", name="Night Ledger", description="A detective, a ledger, a long night",
        metadata={"logline": "One ledger, two liars, no dawn"}, tags=["noir"]))
    await add_to_collection(tx, collection_id=project_id, asset_id=film.id)
    return film


async def _scenes(tx: Transaction, film: AssetRecord, project_id: UUID
                  ) -> list[list[AssetRecord]]:
    inherited = []
    for number, (title, setting, shots) in enumerate(SCENES, start=1):
        scene = await create_asset(tx, NewAsset(
            type="scene", name=f"Scene {number}: {title}", description=setting,
            metadata={"setting": setting}))
        await link_assets(tx, parent_id=film.id, child_id=scene.id,
                          relationship_type=RelationshipType.PART_OF, sequence=number)
        await add_to_collection(tx, collection_id=project_id, asset_id=scene.id)
        for position, shot_name in enumerate(shots, start=1):
            shot = await create_asset(tx, NewAsset(
                type="shot", name=shot_name,
                metadata={"sequence": position, "camera_angle": "wide"}))
            await link_assets(tx, parent_id=scene.id, child_id=shot.id,
                              relationship_type=RelationshipType.PART_OF, sequence=position)
        instances = (await inherit_scene_assets(tx, scene.id, mode=InheritMode.CREATE)).instances
        by_name = {i.name: i for i in instances}
        if number == 1:
            await update_asset(tx, by_name["John Doe"].id, {"tags": ["muddy", "wet"]},
                               reason="dragged through the alley")
        if number == 2:
            # The ledger is torn up here, but the next scene starts from the project's ledger.
            await update_asset(tx, by_name["Ledger"].id, {
                "tags": ["torn"], "description": "the ledger, pages torn out"})
            await set_carry_forward(tx, by_name["Ledger"].id, False)
        inherited.append(instances)
    return inherited
