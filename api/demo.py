"""`assetgraph demo`: an explorable dataset, built through the domain use cases.

A short film in three scenes with shots, two characters with reference images, a noir style
used in the film, a library and a project collection.
"""

from typing import Any
from uuid import UUID

from domain.access import get_workspace_by_slug
from domain.assets.use_cases import NewAsset, create_asset, update_asset
from domain.collections.use_cases import add_to_collection, create_collection
from domain.db import Database, transaction
from domain.errors import not_found
from domain.graph.use_cases import link_assets

SCENES = [
    ("The Rain", "A rain-soaked alley at night", ["Mara finds the ledger", "Close on the ledger"]),
    ("The Office", "A cluttered detective's office", ["Mara reads", "Knock at the door"]),
    ("The Docks", "Fog over the harbour at dawn", ["The handover", "Mara walks away"]),
]
CHARACTERS = [
    ("Mara", "A weary detective in a long grey coat", {"hair": "red", "age": 42}),
    ("Ortiz", "A nervous dock clerk with ink-stained hands", {"hair": "black", "age": 29}),
]


async def load_demo(database: Database, workspace_id: UUID | None) -> dict[str, Any]:
    if workspace_id is None:
        async with transaction(database, readonly=True) as tx:
            workspace = await get_workspace_by_slug(tx, "default")
        if workspace is None:
            raise not_found("default workspace", "workspace")
        workspace_id = workspace.id
    async with transaction(database, workspace_id=workspace_id, actor="demo") as tx:
        library = await create_collection(tx, name="Global library", type="library",
                                          description="Reusable characters and styles")
        project = await create_collection(tx, name="Night Ledger", type="project",
                                          description="A short noir film")
        film = await create_asset(tx, NewAsset(
            type="film", name="Night Ledger", description="A detective, a ledger, a long night",
            metadata={"logline": "One ledger, two liars, no dawn"}, tags=["noir"]))
        await add_to_collection(tx, collection_id=project.id, asset_id=film.id)
        style = await create_asset(tx, NewAsset(
            type="style", name="Wet noir", description="High contrast, sodium light, rain",
            metadata={"palette": ["#0b0c10", "#c5a880"], "prompt_suffix": "film noir, 35mm"}))
        await add_to_collection(tx, collection_id=library.id, asset_id=style.id)
        await link_assets(tx, parent_id=film.id, child_id=style.id, relationship_type="used_in")

        characters = []
        for name, description, attributes in CHARACTERS:
            character = await create_asset(tx, NewAsset(
                type="character_ref", name=name, description=description,
                metadata={"attributes": attributes}, tags=["character"]))
            reference = await create_asset(tx, NewAsset(
                type="image", name=f"{name} reference", description=f"Reference sheet of {name}",
                url=f"https://example.invalid/{name.lower()}.png", mime_type="image/png",
                metadata={"width": 512, "height": 768, "format": "png"}))
            await link_assets(tx, parent_id=character.id, child_id=reference.id,
                              relationship_type="reference_for")
            await add_to_collection(tx, collection_id=library.id, asset_id=character.id)
            characters.append(character)

        shot_count = 0
        for number, (title, setting, shots) in enumerate(SCENES, start=1):
            scene = await create_asset(tx, NewAsset(
                type="scene", name=f"Scene {number}: {title}", description=setting,
                metadata={"setting": setting}))
            await link_assets(tx, parent_id=film.id, child_id=scene.id,
                              relationship_type="part_of", sequence=number)
            await add_to_collection(tx, collection_id=project.id, asset_id=scene.id)
            for character in characters[: 2 if number > 1 else 1]:
                await link_assets(tx, parent_id=scene.id, child_id=character.id,
                                  relationship_type="used_in")
            for position, shot_name in enumerate(shots, start=1):
                shot = await create_asset(tx, NewAsset(
                    type="shot", name=shot_name, metadata={"sequence": position,
                                                           "camera_angle": "wide"}))
                await link_assets(tx, parent_id=scene.id, child_id=shot.id,
                                  relationship_type="part_of", sequence=position)
                shot_count += 1
        await update_asset(tx, characters[0].id,
                           {"description": "A weary detective in a rain-dark grey coat"},
                           reason="continuity with scene 1")
    return {
        "workspace_id": str(workspace_id),
        "film": film.name,
        "scenes": len(SCENES),
        "shots": shot_count,
        "characters": len(characters),
        "collections": 2,
    }
