"""The `assetgraph` command against the test database, as a real subprocess."""

import argparse
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import parser
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


def test_version_comes_from_the_package_metadata() -> None:
    done = subprocess.run([sys.executable, "-m", "api.cli", "--version"], capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout == f"assetgraph {metadata.version('assetgraph')}\n"


def test_every_command_and_option_is_described() -> None:
    # given every parser, the root's and each (sub)command's
    parsers = [parser()]
    undescribed: list[str] = []
    while parsers:
        current = parsers.pop()
        if not current.description:
            undescribed.append(current.prog)
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
                undescribed += [f"{current.prog} {choice.dest}" for choice in
                                action._choices_actions if not choice.help]
            elif not action.help:
                undescribed.append(f"{current.prog} {action.dest}")
    # then each has a description, each option and command a help line
    assert undescribed == []
    # and defaults show in the help
    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    serve = " ".join(commands.choices["serve"].format_help().split())
    assert "--port PORT port to listen on (default: 8000)" in serve


def test_starting_without_xdg_runtime_dir_prints_no_warning(tmp_path: Path) -> None:
    # given no XDG_RUNTIME_DIR (containers, CI), where platformdirs warns when asked for it
    env = {k: v for k, v in os.environ.items()
           if k != "XDG_RUNTIME_DIR" and not k.startswith("ASSETGRAPH_")}
    # when a command starts the embedded server
    done = subprocess.run([sys.executable, "-m", "api.cli", "migrate", "--data-dir",
                           str(tmp_path / "data")], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    # then it says what it did, and nothing else
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "database is at the latest revision\n", "")
