"""Asset mutations and fields through GraphQL: create, edit, history, lock, delete, purge."""

from tests.conftest import GraphQLClient, WorkspaceTokens
from tests.helpers import create_asset, link

ASSET_FIELDS = """
query ($id: ID!) { asset(id: $id) {
  id type name description generationPrompt url mimeType size duration metadata tags source
  generationCost locked version deletedAt modificationCount lastModifiedFields
} }
"""
UPDATE = """
mutation ($input: UpdateAssetInput!) {
  updateAsset(input: $input) { asset { name description version tags metadata }
    errors { code field message } }
}
"""
HISTORY = """
query ($id: ID!) { asset(id: $id) { history(first: 10) {
  edges { node { topic actor payload subjectId } } pageInfo { hasNextPage } } } }
"""


async def test_create_asset_stores_every_field(gql: GraphQLClient) -> None:
    # given / when
    asset_id = await create_asset(
        gql, "Mara in rain", "image", description="Mara under a street lamp",
        generationPrompt="noir detective, rain", url="https://cdn.example/mara.png",
        mimeType="image/png", size=2048, duration=None,
        metadata={"width": 512, "height": 768, "format": "png"}, tags=["lead", "rain", "lead"],
    )
    # then
    assert (await gql(ASSET_FIELDS, {"id": asset_id}))["data"]["asset"] == {
        "id": asset_id, "type": "image", "name": "Mara in rain",
        "description": "Mara under a street lamp", "generationPrompt": "noir detective, rain",
        "url": "https://cdn.example/mara.png", "mimeType": "image/png", "size": 2048,
        "duration": None, "metadata": {"width": 512, "height": 768, "format": "png"},
        "tags": ["lead", "rain"], "source": "upload", "generationCost": 0.0, "locked": False,
        "version": 1, "deletedAt": None, "modificationCount": 0, "lastModifiedFields": [],
    }


async def test_create_asset_refuses_bad_fields_and_writes_nothing(gql: GraphQLClient) -> None:
    # given a 300-character name, ill-typed metadata, a bad source
    body = await gql(
        """mutation { createAsset(input: {type: "image", name: "%s", source: "stolen",
           metadata: {width: "wide", height: -3}}) {
           asset { id } errors { code field message } } }"""
        % ("x" * 300)
    )
    # then every fault is named and nothing was stored
    assert body["data"]["createAsset"] == {"asset": None, "errors": [
        {"code": "INVALID", "field": "source",
         "message": "source must be one of upload, generation, import, derivative"},
        {"code": "INVALID", "field": "name", "message": "name is 300 characters; at most 255"},
        {"code": "INVALID", "field": "metadata.width",
         "message": "metadata.width must be a positive integer in image metadata"},
        {"code": "INVALID", "field": "metadata.height",
         "message": "metadata.height must be a positive integer in image metadata"},
    ]}
    assert (await gql("{ assets { totalCount } }"))["data"]["assets"]["totalCount"] == 0


async def test_create_asset_refuses_an_unknown_type(gql: GraphQLClient) -> None:
    body = await gql('mutation { createAsset(input: {type: "hologram", name: "H"}) '
                     "{ asset { id } errors { code field message } } }")
    assert body["data"]["createAsset"] == {"asset": None, "errors": [{
        "code": "INVALID", "field": "type",
        "message": "unknown asset type 'hologram'; one of script, text, audio, video, image, "
                   "shot, film, character_ref, scene, style, prop, location",
    }]}


async def test_update_raises_version_and_records_history(gql: GraphQLClient) -> None:
    # given a character
    asset_id = await create_asset(gql, "Mara", "character_ref", description="a tall woman",
                                  metadata={"attributes": {"hair": "red"}})
    # when two edits land, the second one with a reason
    first = await gql(UPDATE, {"input": {"id": asset_id, "description": "a weary woman"}})
    second = await gql(UPDATE, {"input": {"id": asset_id, "tags": ["muddy"],
                                          "metadata": {"attributes": {"hair": "grey"}},
                                          "reason": "scene 2 continuity"}})
    # then the version rose twice and the history tells what changed
    assert first["data"]["updateAsset"]["asset"]["version"] == 2
    assert second["data"]["updateAsset"] == {"errors": [], "asset": {
        "name": "Mara", "description": "a weary woman", "version": 3, "tags": ["muddy"],
        "metadata": {"attributes": {"hair": "grey"}}}}
    fields = (await gql(ASSET_FIELDS, {"id": asset_id}))["data"]["asset"]
    assert (fields["modificationCount"], fields["lastModifiedFields"]) == (
        2, ["tags", "metadata.attributes"])
    history = (await gql(HISTORY, {"id": asset_id}))["data"]["asset"]["history"]
    assert [e["node"]["topic"] for e in history["edges"]] == [
        "asset.created", "asset.updated", "asset.updated"]
    assert history["edges"][2]["node"]["payload"] == {
        "version": 3, "reason": "scene 2 continuity",
        "changes": {"tags": {"before": [], "after": ["muddy"]},
                    "metadata.attributes": {"before": {"hair": "red"},
                                            "after": {"hair": "grey"}}},
    }
    assert {e["node"]["subjectId"] for e in history["edges"]} == {asset_id}
    assert history["edges"][0]["node"]["actor"].startswith("token:")


async def test_update_that_changes_nothing_keeps_the_version(gql: GraphQLClient) -> None:
    asset_id = await create_asset(gql, "Mara", "character_ref")
    body = await gql(UPDATE, {"input": {"id": asset_id, "name": "Mara"}})
    assert body["data"]["updateAsset"]["asset"]["version"] == 1
    assert (await gql(ASSET_FIELDS, {"id": asset_id}))["data"]["asset"]["modificationCount"] == 0


async def test_update_with_a_stale_expected_version_is_a_conflict(gql: GraphQLClient) -> None:
    asset_id = await create_asset(gql, "Mara", "character_ref")
    body = await gql(UPDATE, {"input": {"id": asset_id, "name": "M", "expectedVersion": 4}})
    assert body["data"]["updateAsset"] == {"asset": None, "errors": [
        {"code": "CONFLICT", "field": "expectedVersion",
         "message": "asset is at version 1, not 4"}]}


async def test_update_refuses_null_for_required_fields(gql: GraphQLClient) -> None:
    asset_id = await create_asset(gql, "Mara", "character_ref")
    body = await gql(UPDATE, {"input": {"id": asset_id, "name": None}})
    assert body["data"]["updateAsset"]["errors"] == [
        {"code": "INVALID", "field": "name", "message": "name cannot be null"}]


async def test_locked_asset_refuses_edits_until_unlocked(gql: GraphQLClient) -> None:
    # given a locked asset
    asset_id = await create_asset(gql, "Mara", "character_ref")
    locked = await gql("mutation ($id: ID!) { lockAsset(id: $id) { asset { locked version } "
                       "errors { code } } }", {"id": asset_id})
    assert locked["data"]["lockAsset"] == {"asset": {"locked": True, "version": 1}, "errors": []}
    # when it is edited, then the edit is refused
    refused = await gql(UPDATE, {"input": {"id": asset_id, "name": "Other"}})
    assert refused["data"]["updateAsset"] == {"asset": None, "errors": [
        {"code": "LOCKED", "field": "id", "message": "asset 'Mara' is locked; unlock it first"}]}
    # and once unlocked it goes through
    await gql("mutation ($id: ID!) { unlockAsset(id: $id) { errors { code } } }", {"id": asset_id})
    accepted = await gql(UPDATE, {"input": {"id": asset_id, "name": "Other"}})
    assert accepted["data"]["updateAsset"]["asset"]["version"] == 2


DELETE = """mutation ($id: ID!, $force: Boolean! = false) { deleteAsset(id: $id, force: $force) {
  asset { deletedAt } errors { code field message } } }"""
CAN_DELETE = """query ($id: ID!) { asset(id: $id) { canDelete { allowed dependentCount
  dependents { name } } } }"""


async def test_delete_is_refused_while_derived_assets_live(gql: GraphQLClient) -> None:
    # given a library asset with a clone derived from it
    original = await create_asset(gql, "John Doe", "character_ref")
    clone = await create_asset(gql, "John Doe (Pilot)", "character_ref")
    await link(gql, original, clone, "DERIVED_FROM")
    # then canDelete says no, and so does deleteAsset
    assert (await gql(CAN_DELETE, {"id": original}))["data"]["asset"]["canDelete"] == {
        "allowed": False, "dependentCount": 1, "dependents": [{"name": "John Doe (Pilot)"}]}
    refused = await gql(DELETE, {"id": original})
    assert refused["data"]["deleteAsset"] == {"asset": None, "errors": [{
        "code": "DEPENDENTS_EXIST", "field": "id",
        "message": "1 live asset(s) derive from 'John Doe': 'John Doe (Pilot)'; "
                   "delete them first or force"}]}
    # when forced, it goes
    forced = await gql(DELETE, {"id": original, "force": True})
    assert forced["data"]["deleteAsset"]["errors"] == []
    assert forced["data"]["deleteAsset"]["asset"]["deletedAt"] is not None


async def test_deleted_assets_vanish_until_restored(gql: GraphQLClient) -> None:
    # given a film with two scenes, one deleted
    film = await create_asset(gql, "Film", "film")
    kept = await create_asset(gql, "Kept", "scene")
    gone = await create_asset(gql, "Gone", "scene")
    await link(gql, film, kept)
    await link(gql, film, gone)
    assert (await gql(DELETE, {"id": gone}))["data"]["deleteAsset"]["errors"] == []
    children = """query ($id: ID!) { asset(id: $id) { children { totalCount
      edges { node { child { name } } } } } }"""
    listing = '{ assets(filter: {types: ["scene"]}) { totalCount edges { node { name } } } }'
    with_deleted = ('{ assets(filter: {types: ["scene"], includeDeleted: true}) '
                    "{ totalCount } }")
    # then lists and children skip it unless asked
    assert (await gql(children, {"id": film}))["data"]["asset"]["children"] == {
        "totalCount": 1, "edges": [{"node": {"child": {"name": "Kept"}}}]}
    assert (await gql(listing))["data"]["assets"] == {
        "totalCount": 1, "edges": [{"node": {"name": "Kept"}}]}
    assert (await gql(with_deleted))["data"]["assets"]["totalCount"] == 2
    # when restored, it is back
    restored = await gql("mutation ($id: ID!) { restoreAsset(id: $id) { asset { deletedAt } "
                         "errors { code } } }", {"id": gone})
    assert restored["data"]["restoreAsset"] == {"asset": {"deletedAt": None}, "errors": []}
    assert (await gql(children, {"id": film}))["data"]["asset"]["children"]["totalCount"] == 2


PURGE = """mutation ($id: ID!) { purgeAsset(id: $id) { asset { name } errors { code field message }
} }"""


async def test_purge_needs_admin_and_a_deleted_asset(
    gql: GraphQLClient, workspace: WorkspaceTokens
) -> None:
    # given a live asset linked to a film
    film = await create_asset(gql, "Film", "film")
    scene = await create_asset(gql, "Scene", "scene")
    await link(gql, film, scene)
    # when an editor purges, it is forbidden
    forbidden = await gql(PURGE, {"id": scene})
    assert forbidden["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in forbidden["errors"]] == [
        ("this needs the admin role", "FORBIDDEN")]
    # when an admin purges a live asset, it must be deleted first
    live = await gql(PURGE, {"id": scene}, token=workspace.admin)
    assert live["data"]["purgeAsset"]["errors"] == [
        {"code": "INVALID", "field": "id",
         "message": "asset 'Scene' is not deleted; delete it first"}]
    # when deleted then purged, it and its edges are gone for good
    await gql(DELETE, {"id": scene})
    purged = await gql(PURGE, {"id": scene}, token=workspace.admin)
    assert purged["data"]["purgeAsset"] == {"asset": {"name": "Scene"}, "errors": []}
    assert (await gql("query ($id: ID!) { asset(id: $id) { id } }", {"id": scene}))["data"] == {
        "asset": None}
    film_children = await gql("query ($id: ID!) { asset(id: $id) { children { totalCount } } }",
                              {"id": film})
    assert film_children["data"]["asset"]["children"]["totalCount"] == 0
