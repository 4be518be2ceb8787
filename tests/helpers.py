"""GraphQL building blocks the tests share: create and link through the public API."""

from typing import Any

from tests.conftest import GraphQLClient

CREATE_ASSET = """
mutation ($input: CreateAssetInput!) {
  createAsset(input: $input) { asset { id name version } errors { code field message } }
}
"""

LINK = """
mutation ($input: LinkAssetsInput!) {
  linkAssets(input: $input) { relationship { id sequence } errors { code field message } }
}
"""

CREATE_COLLECTION = """
mutation ($input: CreateCollectionInput!) {
  createCollection(input: $input) { collection { id } errors { code field message } }
}
"""

ADD_TO_COLLECTION = """
mutation ($input: CollectionMemberInput!) {
  addToCollection(input: $input) { collection { id } errors { code field message } }
}
"""


async def create_asset(gql: GraphQLClient, name: str, type: str = "image", **fields: Any) -> str:
    body = await gql(CREATE_ASSET, {"input": {"type": type, "name": name, **fields}})
    payload = body["data"]["createAsset"]
    assert payload["errors"] == [], payload
    return str(payload["asset"]["id"])


async def link(gql: GraphQLClient, parent: str, child: str, type: str = "PART_OF",
               sequence: int | None = None) -> str:
    body = await gql(LINK, {"input": {"parentId": parent, "childId": child, "type": type,
                                      "sequence": sequence}})
    payload = body["data"]["linkAssets"]
    assert payload["errors"] == [], payload
    return str(payload["relationship"]["id"])


async def create_collection(gql: GraphQLClient, name: str, type: str = "project") -> str:
    body = await gql(CREATE_COLLECTION, {"input": {"name": name, "type": type}})
    assert body["data"]["createCollection"]["errors"] == [], body
    return str(body["data"]["createCollection"]["collection"]["id"])


async def add_to_collection(gql: GraphQLClient, collection: str, asset: str) -> None:
    body = await gql(ADD_TO_COLLECTION, {"input": {"collectionId": collection, "assetId": asset}})
    assert body["data"]["addToCollection"]["errors"] == [], body
