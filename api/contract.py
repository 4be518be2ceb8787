"""The GraphQL contract: `schema.graphql`, checked in, against the last released one.

`python -m api.contract check [--against REF]` compares the working tree's `schema.graphql`
with the one at REF (default: the newest tag, `git describe --tags --abbrev=0`) using
graphql-core's `find_breaking_changes` and `find_dangerous_changes`, lists what changed, and
exits 1 on a breaking change. With no tag yet, or no `schema.graphql` at the tag, there is
nothing published to break: it says so and passes. That the file matches the code is the
test suite's job (tests/schema/test_sdl.py), so this check reads files only, never the code.
"""

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

if TYPE_CHECKING:
    from api.settings import Settings

SDL_FILE = "schema.graphql"
REGENERATE = f"assetgraph schema > {SDL_FILE}"


def current_sdl(settings: "Settings | None" = None) -> str:
    """The SDL the code defines: what `assetgraph schema` prints (no setting changes it)."""
    from api.settings import Settings, schema_options
    from schema.schema import build_schema as build_strawberry_schema

    options = schema_options(settings or Settings.from_env())
    return build_strawberry_schema(options).as_str() + "\n"


@dataclass(frozen=True)
class Changes:
    breaking: list[str]
    dangerous: list[str]
    added: list[str]


def compare(old_sdl: str, new_sdl: str) -> Changes:
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    return Changes(
        breaking=[f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new)],
        dangerous=[f"{c.type.name}: {c.description}" for c in find_dangerous_changes(old, new)],
        added=_additions(old, new),
    )


def _additions(old: GraphQLSchema, new: GraphQLSchema) -> list[str]:
    """Types and fields new since `old` (graphql-core reports only what can break)."""
    added = []
    for name, new_type in new.type_map.items():
        if name.startswith("__"):
            continue
        old_type = old.type_map.get(name)
        if old_type is None:
            added.append(f"TYPE_ADDED: Type {name} was added.")
            continue
        kinds = (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)
        if isinstance(new_type, kinds) and isinstance(old_type, kinds):
            added += [f"FIELD_ADDED: Field {name}.{field} was added."
                      for field in new_type.fields if field not in old_type.fields]
    return added


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          check=False)


def check(repo: Path, against: str | None, out: TextIO) -> int:
    """Print what changed in `repo`'s `schema.graphql` since `against` (default: the newest
    tag); 1 when a change breaks clients, else 0."""
    if against is None:
        described = _git(repo, "describe", "--tags", "--abbrev=0")
        if described.returncode != 0:
            print(f"No tag yet: no published contract to compare {SDL_FILE} with. Passed.",
                  file=out)
            return 0
        against = described.stdout.strip()
    shown = _git(repo, "show", f"{against}:{SDL_FILE}")
    if shown.returncode != 0:
        if _git(repo, "rev-parse", "--verify", "--quiet", f"{against}^{{commit}}").returncode:
            print(f"{against} is not a commit or tag of this repository.", file=out)
            return 2
        print(f"{against} has no {SDL_FILE}: no published contract to compare with. Passed.",
              file=out)
        return 0
    changes = compare(shown.stdout, (repo / SDL_FILE).read_text())
    print(f"{SDL_FILE} compared with {against}:", file=out)
    sections = [("Breaking", changes.breaking), ("Dangerous", changes.dangerous),
                ("Added", changes.added)]
    for title, found in sections:
        print(f"{title} ({len(found)}):", file=out)
        for line in found:
            print(f"  {line}", file=out)
    if changes.breaking:
        print(f"{len(changes.breaking)} breaking change(s) since {against}: clients of the "
              "published contract would fail. Deprecate instead of removing or changing.",
              file=out)
        return 1
    print("No breaking change.", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.contract", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="compare schema.graphql with a release")
    checking.add_argument("--against", metavar="REF",
                          help="a tag or commit (default: the newest tag)")
    checking.add_argument("--repo", type=Path, default=Path.cwd(),
                          help="the repository (default: the current directory)")
    args = parser.parse_args(argv)
    return check(args.repo, args.against, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
