"""Library -> project: clone, overrides, sync status, sync with conflicts, revert (issue 3)."""

from typing import Any

from tests.conftest import GraphQLClient
from tests.helpers import add_to_collection, create_asset, create_collection

CLONE = """mutation ($input: CloneAssetInput!) { cloneAsset(input: $input) {
  asset { id name description source tags metadata } errors { code field message } } }"""
UPDATE = """mutation ($input: UpdateAssetInput!) { updateAsset(input: $input) {
  asset { version } errors { code field message } } }"""
SYNC_STATUS = """query ($id: ID!) { asset(id: $id) { description metadata sync {
  source { name } relationshipType sourceVersion currentSourceVersion outdated overriddenFields
  conflicts { field localValue sourceValue baseValue } } } }"""
SYNC = """mutation ($input: SyncAssetInput!) { syncAsset(input: $input) {
  asset { description metadata version } applied conflicts { field localValue sourceValue }
  errors { code field message } } }"""


async def _john_doe(gql: GraphQLClient) -> tuple[str, str, str]:
    """John Doe in the library, cloned into project A and edited there."""
    library = await create_collection(gql, "Library", "library")
    project = await create_collection(gql, "Project A", "project")
    john = await create_asset(gql, "John Doe", "character_ref",
                              description="a tall man in a clean suit",
                              metadata={"attributes": {"build": "tall"}})
    await add_to_collection(gql, library, john)
    clone = (await gql(CLONE, {"input": {"sourceId": john, "collectionId": project}}))
    clone_id = clone["data"]["cloneAsset"]["asset"]["id"]
    return john, clone_id, project


async def _update(gql: GraphQLClient, asset_id: str, **fields: Any) -> None:
    body = await gql(UPDATE, {"input": {"id": asset_id, **fields}})
    assert body["data"]["updateAsset"]["errors"] == [], body


async def test_clone_copies_the_source_and_tracks_it(gql: GraphQLClient) -> None:
    library = await create_collection(gql, "Library", "library")
    pilot = await create_collection(gql, "Pilot", "project")
    mara = await create_asset(gql, "Mara", "character_ref", description="a weary detective",
                              tags=["lead"], metadata={"attributes": {"hair": "red"}})
    await add_to_collection(gql, library, mara)
    body = await gql(CLONE, {"input": {"sourceId": mara, "collectionId": pilot,
                                       "nameStrategy": "SOURCE_WITH_COLLECTION",
                                       "descriptionOverride": "a detective, younger"}})
    clone = body["data"]["cloneAsset"]
    assert clone["errors"] == []
    assert {k: v for k, v in clone["asset"].items() if k != "id"} == {
        "name": "Mara (Pilot)", "description": "a detective, younger", "source": "derivative",
        "tags": ["lead"], "metadata": {"attributes": {"hair": "red"}}}
    status = await gql(SYNC_STATUS, {"id": clone["asset"]["id"]})
    assert status["data"]["asset"]["sync"] == {
        "source": {"name": "Mara"}, "relationshipType": "DERIVED_FROM", "sourceVersion": 1,
        "currentSourceVersion": 1, "outdated": False,
        "overriddenFields": ["description", "name"], "conflicts": []}
    members = await gql("query ($id: ID!) { collection(id: $id) { assets { edges { node { "
                        "name } } } } }", {"id": pilot})
    assert members["data"]["collection"]["assets"]["edges"] == [{"node": {"name": "Mara (Pilot)"}}]
    plain = await gql("query ($id: ID!) { asset(id: $id) { sync { outdated } } }", {"id": mara})
    assert plain["data"]["asset"]["sync"] is None


async def test_clone_refuses_bad_names_and_unknown_targets(gql: GraphQLClient) -> None:
    pilot = await create_collection(gql, "Pilot", "project")
    mara = await create_asset(gql, "Mara", "character_ref")
    custom = await gql(CLONE, {"input": {"sourceId": mara, "collectionId": pilot,
                                         "nameStrategy": "CUSTOM"}})
    assert custom["data"]["cloneAsset"]["errors"] == [
        {"code": "INVALID", "field": "customName",
         "message": "customName is required with CUSTOM"}]
    stranger = "Q29sbGVjdGlvbjowMTkzMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA"
    missing = await gql(CLONE, {"input": {"sourceId": mara, "collectionId": stranger}})
    assert missing["data"]["cloneAsset"]["errors"] == [
        {"code": "NOT_FOUND", "field": "collectionId", "message": "collection not found"}]


async def test_john_doe_conflict_is_kept_local_then_synced(gql: GraphQLClient) -> None:
    # given John Doe cloned into project A and edited there
    john, clone, _ = await _john_doe(gql)
    await _update(gql, clone, description="a dirty, torn suit")
    # when the library gets red hair and a new description
    await _update(gql, john, description="a tall man in a navy suit",
                  metadata={"attributes": {"build": "tall", "hair": "red"}})
    # then project A is outdated, with a description conflict carrying all three values
    status = (await gql(SYNC_STATUS, {"id": clone}))["data"]["asset"]["sync"]
    assert status == {
        "source": {"name": "John Doe"}, "relationshipType": "DERIVED_FROM",
        "sourceVersion": 1, "currentSourceVersion": 2, "outdated": True,
        "overriddenFields": ["description"],
        "conflicts": [{"field": "description", "localValue": "a dirty, torn suit",
                       "sourceValue": "a tall man in a navy suit",
                       "baseValue": "a tall man in a clean suit"}]}
    # when synced without resolutions
    synced = (await gql(SYNC, {"input": {"id": clone}}))["data"]["syncAsset"]
    # then it keeps the torn suit, takes the red hair, reports the conflict
    assert synced == {
        "asset": {"description": "a dirty, torn suit",
                  "metadata": {"attributes": {"build": "tall", "hair": "red"}}, "version": 3},
        "applied": ["metadata.attributes"],
        "conflicts": [{"field": "description", "localValue": "a dirty, torn suit",
                       "sourceValue": "a tall man in a navy suit"}],
        "errors": []}
    after = (await gql(SYNC_STATUS, {"id": clone}))["data"]["asset"]["sync"]
    assert (after["outdated"], after["sourceVersion"], after["overriddenFields"],
            after["conflicts"]) == (False, 2, ["description"], [])


async def test_take_source_takes_the_library_value_and_clears_the_override(
    gql: GraphQLClient,
) -> None:
    john, clone, _ = await _john_doe(gql)
    await _update(gql, clone, description="a dirty, torn suit")
    await _update(gql, john, description="a tall man in a navy suit")
    synced = await gql(SYNC, {"input": {"id": clone, "resolutions": [
        {"field": "description", "take": "TAKE_SOURCE"}]}})
    assert synced["data"]["syncAsset"]["asset"]["description"] == "a tall man in a navy suit"
    assert synced["data"]["syncAsset"]["applied"] == ["description"]
    assert synced["data"]["syncAsset"]["conflicts"] == []
    status = (await gql(SYNC_STATUS, {"id": clone}))["data"]["asset"]["sync"]
    assert (status["overriddenFields"], status["outdated"]) == ([], False)


async def test_sync_writes_a_synced_event(gql: GraphQLClient) -> None:
    john, clone, _ = await _john_doe(gql)
    await _update(gql, john, description="navy")
    await gql(SYNC, {"input": {"id": clone}})
    history = await gql("query ($id: ID!) { asset(id: $id) { history { edges { node { topic "
                        "payload } } } } }", {"id": clone})
    last = history["data"]["asset"]["history"]["edges"][-1]["node"]
    assert last["topic"] == "asset.synced"
    assert last["payload"]["changes"] == {
        "description": {"before": "a tall man in a clean suit", "after": "navy"}}
    assert (last["payload"]["source_version"], last["payload"]["conflicts_kept"]) == (2, [])


async def test_revert_field_takes_the_source_value_and_drops_the_override(
    gql: GraphQLClient,
) -> None:
    _, clone, _ = await _john_doe(gql)
    await _update(gql, clone, description="torn", metadata={"attributes": {"build": "short"}})
    status = (await gql(SYNC_STATUS, {"id": clone}))["data"]["asset"]
    assert status["sync"]["overriddenFields"] == ["description", "metadata.attributes"]
    reverted = await gql("""mutation ($input: RevertFieldInput!) { revertField(input: $input) {
      asset { description version } errors { code field message } } }""",
                         {"input": {"id": clone, "field": "description"}})
    assert reverted["data"]["revertField"] == {
        "asset": {"description": "a tall man in a clean suit", "version": 3}, "errors": []}
    status = (await gql(SYNC_STATUS, {"id": clone}))["data"]["asset"]
    assert status["sync"]["overriddenFields"] == ["metadata.attributes"]
    bad = await gql("""mutation ($input: RevertFieldInput!) { revertField(input: $input) {
      errors { code field message } } }""", {"input": {"id": clone, "field": "locked"}})
    assert bad["data"]["revertField"]["errors"] == [
        {"code": "INVALID", "field": "field", "message": "'locked' is not a synced field"}]


async def test_sync_is_refused_on_locked_and_underived_assets(gql: GraphQLClient) -> None:
    john, clone, _ = await _john_doe(gql)
    await gql("mutation ($id: ID!) { lockAsset(id: $id) { errors { code } } }", {"id": clone})
    locked = await gql(SYNC, {"input": {"id": clone}})
    assert locked["data"]["syncAsset"]["errors"] == [
        {"code": "LOCKED", "field": "id", "message": "asset 'John Doe' is locked; unlock it first"}]
    plain = await gql(SYNC, {"input": {"id": john}})
    assert plain["data"]["syncAsset"]["errors"] == [
        {"code": "INVALID", "field": "id", "message": "asset 'John Doe' has no sync source"}]
