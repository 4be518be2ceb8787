"""The `assetgraph` command against the test database, as a real subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import EngineDatabase
from tests.conftest import GraphQLClient, dev_settings, http_client


def assetgraph(engine: AsyncEngine, *args: str) -> Any:
    env = {**os.environ, "ASSETGRAPH_DATABASE_URL":
           engine.url.render_as_string(hide_password=False)}
    done = subprocess.run([sys.executable, "-m", "api.cli", *args, "--json"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_workspace_and_token_commands(
    engine: AsyncEngine, committed_database: EngineDatabase
) -> None:
    # given a workspace created from the command line
    created = assetgraph(engine, "workspace", "create", "CLI Studio")
    assert sorted(created) == ["slug", "token", "workspace_id"]
    assert created["slug"] == "cli-studio"
    workspace = created["workspace_id"]
    # when an editor token is made and listed
    editor = assetgraph(engine, "token", "create", "--workspace", workspace, "--role", "editor")
    listed = assetgraph(engine, "token", "list", "--workspace", workspace)["tokens"]
    assert [(t["role"], t["revoked"]) for t in listed] == [("admin", False), ("editor", False)]
    # then the tokens work over GraphQL, until revoked
    async with http_client(committed_database, dev_settings(auth_cache_seconds=0)) as http:
        client = GraphQLClient(http, editor["token"])
        viewer = await client("{ viewer { role workspace { name } } }")
        assert viewer["data"]["viewer"] == {"role": "editor", "workspace": {"name": "CLI Studio"}}
        admin = await client("{ viewer { role } }", token=created["token"])
        assert admin["data"]["viewer"] == {"role": "admin"}
        assert assetgraph(engine, "token", "revoke", editor["id"], "--workspace", workspace
                          ) == {"id": editor["id"], "revoked": True}
        assert (await client.post("{ viewer { role } }")).status_code == 401


def test_schema_prints_the_sdl() -> None:
    done = subprocess.run([sys.executable, "-m", "api.cli", "schema"], capture_output=True,
                          text=True, timeout=60, check=True)
    assert "type Asset implements Node {" in done.stdout
    assert "  linkAssets(\n" in done.stdout
    assert done.stdout == (Path(__file__).resolve().parents[2] / "schema.graphql").read_text()
