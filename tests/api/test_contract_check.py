"""`python -m api.contract check`: schema.graphql against the newest tag, in a scratch git
repository, with and without tags."""

import io
import subprocess
from pathlib import Path

import pytest

from api.contract import check, main

V1 = '''type Query {
  asset(id: ID!): Asset
  tags: [String!]!
}

type Asset {
  id: ID!
  name: String!
  kind: Kind!
}

enum Kind {
  IMAGE
}
'''


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                    "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                   cwd=repo, check=True, capture_output=True)


def commit(repo: Path, sdl: str, message: str) -> None:
    (repo / "schema.graphql").write_text(sdl)
    git(repo, "add", "schema.graphql")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    commit(tmp_path, V1, "the first contract")
    return tmp_path


def run(repo: Path, against: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    status = check(repo, against, out)
    return status, out.getvalue()


def test_without_a_tag_it_says_so_and_passes(repo: Path) -> None:
    # given a repository with a contract but no tag, and a field removed since
    (repo / "schema.graphql").write_text(V1.replace("  tags: [String!]!\n", ""))
    # when checked
    status, out = run(repo)
    # then there is nothing published to break
    assert (status, out) == (
        0, "No tag yet: no published contract to compare schema.graphql with. Passed.\n")


def test_additions_since_the_tag_pass_and_are_listed(repo: Path) -> None:
    # given a tagged contract and a field and a type added since
    git(repo, "tag", "v0.1.0")
    commit(repo, V1.replace("  name: String!\n", "  name: String!\n  url: String\n")
           + "\ntype Unused {\n  id: ID!\n}\n", "url")
    # when checked against the newest tag
    status, out = run(repo)
    # then it passes and lists the additions
    assert status == 0
    assert out == ("schema.graphql compared with v0.1.0:\n"
                   "Breaking (0):\nDangerous (0):\nAdded (2):\n"
                   "  FIELD_ADDED: Field Asset.url was added.\n"
                   "  TYPE_ADDED: Type Unused was added.\n"
                   "No breaking change.\n")


def test_a_removed_field_or_changed_type_fails(repo: Path) -> None:
    # given a tagged contract, then a removed field and a changed type, uncommitted
    git(repo, "tag", "v0.1.0")
    (repo / "schema.graphql").write_text(
        V1.replace("  tags: [String!]!\n", "").replace("name: String!", "name: Int!"))
    # when checked
    status, out = run(repo)
    # then both are listed as breaking, and the check fails
    assert status == 1
    assert "Breaking (2):\n" in out
    assert "  FIELD_REMOVED: Field Query.tags was removed.\n" in out
    assert "  FIELD_CHANGED_KIND: Field Asset.name changed type from String! to Int!.\n" in out
    assert out.endswith("2 breaking change(s) since v0.1.0: clients of the published contract "
                        "would fail. Deprecate instead of removing or changing.\n")


def test_an_added_enum_value_is_dangerous_not_breaking(repo: Path) -> None:
    # given a tagged contract, then a value added to an enum clients switch over
    git(repo, "tag", "v0.1.0")
    commit(repo, V1.replace("  IMAGE\n", "  IMAGE\n  VIDEO\n"), "video")
    # when checked
    status, out = run(repo)
    # then it passes, with the danger listed
    assert status == 0
    assert "Dangerous (1):\n  VALUE_ADDED_TO_ENUM: Enum value Kind.VIDEO was added.\n" in out


def test_the_newest_tag_or_an_explicit_ref_is_the_baseline(repo: Path) -> None:
    # given two tags, the field removed between them
    git(repo, "tag", "v0.1.0")
    commit(repo, V1.replace("  tags: [String!]!\n", ""), "drop tags")
    git(repo, "tag", "v0.2.0")
    # when checked against the newest tag, and against the older one
    newest, against_old = run(repo), run(repo, "v0.1.0")
    # then only the older baseline sees the removal
    assert newest[0] == 0
    assert against_old[0] == 1
    assert "FIELD_REMOVED: Field Query.tags was removed." in against_old[1]


def test_a_tag_before_the_contract_existed_passes(tmp_path: Path) -> None:
    # given a tag on a commit without schema.graphql
    (tmp_path / "README.md").write_text("x\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "README.md")
    git(tmp_path, "commit", "-q", "-m", "start")
    git(tmp_path, "tag", "v0.0.1")
    commit(tmp_path, V1, "contract")
    # then there is no published contract yet
    assert run(tmp_path) == (
        0, "v0.0.1 has no schema.graphql: no published contract to compare with. Passed.\n")


def test_an_unknown_ref_is_an_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # when checked against a ref that does not exist, through the command line
    status = main(["check", "--repo", str(repo), "--against", "v9"])
    # then it fails, naming the ref
    assert status == 2
    assert capsys.readouterr().out == "v9 is not a commit or tag of this repository.\n"
