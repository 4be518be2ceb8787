"""Authentication and roles: tokens, JWTs, viewer/editor/admin."""

import asyncio
import time
from uuid import UUID

import httpx
import jwt

from domain.access import Role, revoke_token
from domain.db import transaction
from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    WorkspaceTokens,
    dev_settings,
    http_client,
)

SECRET = "a-test-secret-of-at-least-32-bytes"
VIEWER = "{ viewer { role actor workspace { name slug } } }"
CREATE = ('mutation { createAsset(input: {type: "prop", name: "Lamp"}) '
          "{ asset { name } errors { code } } }")


def _codes(body: dict[str, object]) -> list[tuple[str, str]]:
    return [(e["message"], e["extensions"]["code"]) for e in body["errors"]]  # type: ignore


async def test_requests_without_a_valid_token_are_unauthenticated(http: httpx.AsyncClient
                                                                   ) -> None:
    missing = await http.post("/graphql", json={"query": VIEWER})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert _codes(missing.json()) == [
        ("missing credentials: send Authorization: Bearer <token>", "UNAUTHENTICATED")]
    wrong = await http.post("/graphql", json={"query": VIEWER},
                            headers={"Authorization": "Bearer agt_not-a-real-token"})
    assert wrong.status_code == 401
    assert _codes(wrong.json()) == [("invalid, expired or revoked token", "UNAUTHENTICATED")]


async def test_roles_decide_what_a_token_may_do(gql: GraphQLClient, workspace: WorkspaceTokens
                                                ) -> None:
    viewer = await gql(VIEWER, token=workspace.viewer)
    assert viewer["data"]["viewer"] == {"role": "viewer", "actor": viewer["data"]["viewer"][
        "actor"], "workspace": {"name": "Studio A", "slug": "studio-a"}}
    refused = await gql(CREATE, token=workspace.viewer)
    assert refused["data"] is None
    assert _codes(refused) == [("this needs the editor role", "FORBIDDEN")]
    assert (await gql("{ assets { totalCount } }"))["data"]["assets"]["totalCount"] == 0
    assert (await gql(CREATE, token=workspace.editor))["data"]["createAsset"] == {
        "asset": {"name": "Lamp"}, "errors": []}


async def test_a_revoked_token_stops_working_within_the_cache_bound(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    # given a server that keeps credentials for 1 s (long enough for a loaded machine to get
    # through the next steps within it), and a viewer it has just seen
    async with http_client(db, dev_settings(auth_cache_seconds=1.0)) as http:
        gql = GraphQLClient(http, workspace.viewer)
        actor = (await gql(VIEWER))["data"]["viewer"]["actor"]
        # when the token is revoked elsewhere (the CLI, another process)
        async with transaction(db, workspace_id=workspace.id) as tx:
            await revoke_token(tx, UUID(actor.removeprefix("token:")))
        # then the cached answer holds until the bound, and no longer
        assert (await gql.post(VIEWER)).status_code == 200
        await asyncio.sleep(1.05)
        response = await gql.post(VIEWER)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "invalid, expired or revoked token",
                                           "extensions": {"code": "UNAUTHENTICATED",
                                                          "requestId": response.headers[
                                                              "x-request-id"]}}]}


def _jwt(secret: str, **claims: object) -> str:
    return jwt.encode({"sub": "alice", "exp": int(time.time()) + 60, **claims}, secret,
                      algorithm="HS256")


async def test_jwts_signed_with_the_secret_are_accepted(
    db: SavepointDatabase, workspace: WorkspaceTokens
) -> None:
    settings = dev_settings(jwt_secret=SECRET)
    async with http_client(db, settings) as http:
        client = GraphQLClient(http, None)
        good = await client(VIEWER, token=_jwt(SECRET, workspace_id=str(workspace.id),
                                               role=Role.EDITOR.value))
        assert good["data"]["viewer"] == {"role": "editor", "actor": "jwt:alice",
                                          "workspace": {"name": "Studio A", "slug": "studio-a"}}
        other_secret = "another-secret-of-thirty-two-bytes!"
        forged = await client.post(VIEWER, token=_jwt(other_secret,
                                                      workspace_id=str(workspace.id)))
        assert forged.status_code == 401
        expired = await client.post(VIEWER, token=_jwt(SECRET, workspace_id=str(workspace.id),
                                                       exp=int(time.time()) - 10))
        assert expired.status_code == 401
        unknown = await client.post(VIEWER, token=_jwt(
            SECRET, workspace_id="01930000-0000-7000-8000-000000000000"))
        assert unknown.status_code == 401


async def test_jwts_are_refused_without_a_configured_secret(
    http: httpx.AsyncClient, workspace: WorkspaceTokens
) -> None:
    token = _jwt(SECRET, workspace_id=str(workspace.id))
    response = await http.post("/graphql", json={"query": VIEWER},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert _codes(response.json()) == [
        ("JWTs are not accepted: no ASSETGRAPH_JWT_SECRET is configured", "UNAUTHENTICATED")]
