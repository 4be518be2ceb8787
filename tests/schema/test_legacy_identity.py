"""An imported asset's `metadata.legacy` is its own: a copy does not take it and a sync
neither brings nor overrides it (`domain.legacy.keys`)."""

from tests.conftest import GraphQLClient
from tests.helpers import add_to_collection, create_asset, create_collection
from tests.schema.test_library_sync import CLONE, SYNC, SYNC_STATUS, _update

LEGACY = {"table": "global_assets", "id": "g-1", "digest": "d1"}


async def test_a_clone_is_not_the_legacy_row_and_a_sync_keeps_its_own(gql: GraphQLClient) -> None:
    # given a library asset imported from a legacy row, cloned into a project
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "Project", "project")
    john = await create_asset(gql, "John", "character_ref", description="tall",
                              metadata={"legacy": LEGACY, "attributes": {"hair": "red"}})
    await add_to_collection(gql, library, john)
    cloned = await gql(CLONE, {"input": {"sourceId": john, "collectionId": project}})
    clone = cloned["data"]["cloneAsset"]["asset"]
    # then the clone has the library asset's metadata but not its legacy identity
    assert clone["metadata"] == {"attributes": {"hair": "red"}}
    # when the clone gets a legacy identity of its own and the library asset's changes
    await _update(gql, clone["id"], metadata={"legacy": {"table": "project_assets", "id": "p-1"},
                                              "attributes": {"hair": "red"}})
    await _update(gql, john, description="taller", metadata={
        "legacy": {**LEGACY, "digest": "d2"}, "attributes": {"hair": "grey"}})
    status = await gql(SYNC_STATUS, {"id": clone["id"]})
    # then neither identity is an override, and a sync takes the rest but keeps the clone's
    assert status["data"]["asset"]["sync"]["overriddenFields"] == []
    synced = await gql(SYNC, {"input": {"id": clone["id"]}})
    assert synced["data"]["syncAsset"]["errors"] == []
    assert synced["data"]["syncAsset"]["applied"] == ["description", "metadata.attributes"]
    assert synced["data"]["syncAsset"]["asset"]["metadata"] == {
        "legacy": {"table": "project_assets", "id": "p-1"}, "attributes": {"hair": "grey"}}
