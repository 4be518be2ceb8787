"""`add_scene_assets` writes what `add_scene_asset` writes for each instance, one by one (the
instances, their USED_IN and VARIANT_OF edges, the events), and refuses a batch with the
error `add_scene_asset` gives its first refused instance; a refused batch writes nothing."""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import func, select

from domain.assets.use_cases import Imported, NewAsset, create_assets, set_locked_many
from domain.collections.use_cases import Membership, add_many_to_collection, create_collection
from domain.db import Transaction, transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail
from domain.graph.use_cases import NewEdge, link_assets_many
from domain.graph.vocabulary import RelationshipType
from domain.scenes.use_cases import NewSceneAsset, add_scene_asset, add_scene_assets
from domain.tables import events
from tests.conftest import SavepointDatabase, WorkspaceTokens
from tests.domain.batches import undone


@dataclass(frozen=True)
class Film:
    scenes: list[UUID]
    assets: dict[str, UUID]  # the project's assets by name, the film among them


async def _film(db: SavepointDatabase, workspace_id: UUID) -> Film:
    """A project with a film of three scenes and three locked props."""
    async with transaction(db, workspace_id=workspace_id, actor="editor") as tx:
        project = await create_collection(tx, name="Pilot", type="project")
        made = await create_assets(tx, [
            NewAsset(type="film", name="Film"),
            *(NewAsset(type="scene", name=f"Scene {n}") for n in (1, 2, 3)),
            NewAsset(type="prop", name="Hat", description="a hat", tags=["worn"],
                     metadata={"colour": "red"}),
            NewAsset(type="prop", name="Lamp", description="a lamp"),
            NewAsset(type="prop", name="Cane", description="a cane")])
        film, scenes, props = made[0], made[1:4], made[4:]
        await link_assets_many(tx, [NewEdge(film.id, s.id, RelationshipType.PART_OF, n)
                                    for n, s in enumerate(scenes, start=1)])
        await add_many_to_collection(tx, collection_id=project.id,
                                     members=[Membership(a.id) for a in made])
        await set_locked_many(tx, [p.id for p in props], locked=True)
    return Film([s.id for s in scenes], {a.name: a.id for a in made})


def _news(film: Film) -> list[NewSceneAsset]:
    hat, lamp, cane = (film.assets[n] for n in ("Hat", "Lamp", "Cane"))
    first, second, _ = film.scenes
    return [NewSceneAsset(first, hat, description_override="a muddy hat",
                          status_tags=["muddy", " wet ", "muddy"]),
            NewSceneAsset(first, lamp, carry_forward=False),
            NewSceneAsset(second, hat),
            NewSceneAsset(second, cane, description_override="a cane")]


async def test_add_scene_assets_writes_what_add_scene_asset_writes_one_by_one(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given a film of three scenes and a project of three locked props
    film = await _film(db, workspace.id)
    news = _news(film)

    # when four instances over two scenes are added one by one, and (instead) at once
    async def singly(tx: Transaction) -> set[UUID]:
        return {(await add_scene_asset(tx, new)).instance.id for new in news}

    async def batch(tx: Transaction) -> set[UUID]:
        added = await add_scene_assets(tx, news)
        assert [(a.instance.name, a.propagated) for a in added] == [
            ("Hat", []), ("Lamp", []), ("Hat", []), ("Cane", [])]
        return {a.instance.id for a in added}

    one_by_one = await undone(db, workspace.id, singly)
    at_once = await undone(db, workspace.id, batch)
    # then both wrote the same instances, edges and events
    assert at_once == one_by_one
    assert sorted((a["scene_id"], a["name"], a["description"], a["tags"], a["metadata"])
                  for a in at_once["assets"]) == [
        ("Scene 1", "Hat", "a muddy hat", ["muddy", "wet"], {"carry_forward": True,
                                                              "colour": "red"}),
        ("Scene 1", "Lamp", "a lamp", [], {"carry_forward": False}),
        ("Scene 2", "Cane", "a cane", [], {"carry_forward": True}),
        ("Scene 2", "Hat", "a hat", [], {"carry_forward": True, "colour": "red"})]
    assert sorted((e["relationship_type"], e["parent_asset_id"], e["child_asset_id"],
                   e["sequence"], e["metadata"].get("overridden_fields"))
                  for e in at_once["edges"]) == [
        ("used_in", "Scene 1", "Scene 1/Hat", 1, None),
        ("used_in", "Scene 1", "Scene 1/Lamp", 2, None),
        ("used_in", "Scene 2", "Scene 2/Cane", 2, None),
        ("used_in", "Scene 2", "Scene 2/Hat", 1, None),
        ("variant_of", "Cane", "Scene 2/Cane", 1, []),
        ("variant_of", "Hat", "Scene 1/Hat", 1, ["description"]),
        ("variant_of", "Hat", "Scene 2/Hat", 2, []),
        ("variant_of", "Lamp", "Scene 1/Lamp", 1, [])]
    added = sorted((e["subject_id"], e["payload"]["instance_id"]) for e in at_once["events"]
                   if e["topic"] == "asset.scene_asset_added")
    assert added == [("Scene 1", "Scene 1/Hat"), ("Scene 1", "Scene 1/Lamp"),
                     ("Scene 2", "Scene 2/Cane"), ("Scene 2", "Scene 2/Hat")]
    assert sorted(e["topic"] for e in at_once["events"]) == (
        ["asset.created"] * 4 + ["asset.linked"] * 8 + ["asset.scene_asset_added"] * 4)


async def _events(db: SavepointDatabase, workspace_id: UUID) -> int:
    async with transaction(db, workspace_id=workspace_id) as tx:
        return int((await tx.execute(select(func.count()).select_from(events).where(
            events.c.workspace_id == workspace_id))).scalar_one())


async def _refused(db: SavepointDatabase, workspace_id: UUID, news: list[NewSceneAsset]
                   ) -> tuple[list[ErrorDetail], list[ErrorDetail]]:
    """The errors of the batch, and of its instances added one by one (in one
    transaction); both having written nothing."""
    found = []
    for one_by_one in (False, True):
        before = await _events(db, workspace_id)
        with pytest.raises(DomainError) as raised:
            async with transaction(db, workspace_id=workspace_id, actor="editor") as tx:
                if one_by_one:
                    for new in news:
                        await add_scene_asset(tx, new)
                else:
                    await add_scene_assets(tx, news)
        assert await _events(db, workspace_id) == before
        found.append(raised.value.details)
    return found[0], found[1]


async def test_add_scene_assets_refuses_what_add_scene_asset_refuses(
    db: SavepointDatabase, workspace: WorkspaceTokens, other_workspace: WorkspaceTokens,
) -> None:
    # given a film of three scenes and three props, and another workspace's
    film = await _film(db, workspace.id)
    theirs = await _film(db, other_workspace.id)
    hat, first, second = film.assets["Hat"], film.scenes[0], film.scenes[1]
    fine = NewSceneAsset(second, film.assets["Lamp"])
    cases = {
        # a (scene, project asset) pair twice
        "twice": ([fine, NewSceneAsset(first, hat), NewSceneAsset(first, hat)], [ErrorDetail(
            ErrorCode.CONFLICT, "scene 'Scene 1' already has an instance of 'Hat'",
            "projectAssetId")]),
        # another workspace's project asset, or scene
        "their asset": ([fine, NewSceneAsset(first, theirs.assets["Hat"])], [ErrorDetail(
            ErrorCode.NOT_FOUND, "asset not found", "projectAssetId")]),
        "their scene": ([fine, NewSceneAsset(theirs.scenes[0], hat)], [ErrorDetail(
            ErrorCode.NOT_FOUND, "asset not found", "sceneId")]),
        # the film as a project asset, a prop as a scene, a blank status tag
        "a film": ([fine, NewSceneAsset(first, film.assets["Film"])], [ErrorDetail(
            ErrorCode.INVALID, "'Film' is not an asset of this film's project",
            "projectAssetId")]),
        "not a scene": ([fine, NewSceneAsset(hat, hat)], [ErrorDetail(
            ErrorCode.INVALID, "'Hat' is a prop, not a scene", "sceneId")]),
        "a blank tag": ([fine, NewSceneAsset(first, hat, status_tags=["ok", " "])], [ErrorDetail(
            ErrorCode.INVALID, "tags must be 1 to 64 characters: ''", "statusTags")]),
    }
    for name, (news, errors) in cases.items():
        # when the instances are added at once, and one by one
        batch, one_by_one = await _refused(db, workspace.id, news)
        # then both are refused with the same error, nothing written
        assert (name, batch) == (name, errors)
        assert (name, one_by_one) == (name, errors)


async def test_an_imported_instance_keeps_its_identity_times_and_version(
    db: SavepointDatabase, workspace: WorkspaceTokens,
) -> None:
    # given a film of three scenes and three props
    film = await _film(db, workspace.id)
    made_at = datetime(2020, 1, 2, tzinfo=UTC)
    legacy = {"table": "scene_asset_instances", "id": "i-1"}
    imported = NewSceneAsset(film.scenes[0], film.assets["Hat"], own_metadata={"legacy": legacy},
                             imported=Imported(made_at, made_at, 3))
    # when an instance is added with a legacy identity, times and version
    async with transaction(db, workspace_id=workspace.id, actor="editor") as tx:
        (added,) = await add_scene_assets(tx, [imported])
    # then it has them, besides its own flag and the project asset's metadata
    instance = added.instance
    assert (instance.metadata, instance.created_at, instance.updated_at, instance.version) == (
        {"colour": "red", "carry_forward": True, "legacy": legacy}, made_at, made_at, 3)
    # and metadata that is not an instance's own is refused
    other = NewSceneAsset(film.scenes[1], film.assets["Hat"], own_metadata={"colour": "blue"})
    assert await _refused(db, workspace.id, [other]) == ([ErrorDetail(
        ErrorCode.INVALID, "'colour' is not a key of an instance's own", "metadata.colour")],) * 2
