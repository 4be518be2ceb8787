"""The pure rules of the legacy import (domain/legacy/mapping.py, the instance plan)."""

from datetime import UTC, datetime
from decimal import Decimal

from domain.legacy.instances import plan
from domain.legacy.mapping import (
    asset_type,
    clean_name,
    clean_tags,
    cycles,
    digest,
    job_state,
    object_path,
    overridden_fields,
)
from domain.legacy.projects import root_branch
from domain.legacy.report import ProblemKind
from domain.legacy.rows import Branch, Instance, Job, Project, ProjectAsset, ProjectRows, Scene
from tests.fixtures.legacy import ID

T = datetime(2025, 1, 1, tzinfo=UTC)


def test_object_paths_of_public_urls_and_bare_paths() -> None:
    public = "https://ref.supabase.co/storage/v1/object/public/assets/"
    assert object_path(public + "global/u/a%20b.png") == "global/u/a b.png"
    assert object_path("project_1/branch_2/master-assets/john.png") == (
        "project_1/branch_2/master-assets/john.png")
    assert object_path("/global/u/a.png") == "global/u/a.png"
    # anything else is no object of the bucket, and nothing leaves the export's directory
    assert [object_path(u) for u in (
        "https://example.com/a.png", "ftp://ref.supabase.co/storage/v1/object/public/assets/a",
        public + "../../etc/passwd", "global/../../secret", "", "  ")] == [None] * 6


def test_cycles_are_found_once_each_from_their_smallest_member() -> None:
    parents: dict[str, str | None] = {"c": "a", "a": "b", "b": "c", "d": "a", "e": None,
                                      "f": "f", "g": "zz"}
    assert cycles(parents) == [["a", "b", "c"], ["f"]]
    assert cycles({"x": "y", "y": None}) == []


def test_values_the_graph_refuses_are_corrected_and_said() -> None:
    assert clean_name("  ", "Scene 3") == ("Scene 3", "blank name, imported as 'Scene 3'")
    assert clean_name("x" * 300, "?") == ("x" * 255, "name of 300 characters cut to 255")
    assert clean_name(" John ", "?") == (" John ", None)
    assert clean_tags([" muddy", "muddy", "", "t" * 65, "wet"]) == (["muddy", "wet"],
                                                                    ["", "t" * 65])
    assert clean_tags(None) == ([], [])
    assert clean_tags([f"t{n}" for n in range(102)])[1] == ["t100", "t101"]


def test_types_and_overrides_map_to_the_graphs() -> None:
    assert [asset_type(t) for t in ("character", " Prop ", "location", "creature")] == [
        "character_ref", "prop", "location", None]
    assert overridden_fields(["image_key_url", "description", "visual_style_capsule_id"]) == [
        "description", "file", "url"]
    assert overridden_fields(None) == []


def _job(status: str, stage: str | None = None, attempts: int = 1) -> Job:
    return Job(ID("j"), ID("p"), ID("b"), "master_asset", status, "a prompt", None, None, None,
               None, None, None, None, None, attempts, max(0, attempts - 1), stage, "boom",
               Decimal("0.01"), None, None, T, None, None, T)


def test_legacy_jobs_become_finished_history() -> None:
    states = {s: job_state(_job(s, "upload", 25)) for s in ("completed", "failed", "queued",
                                                            "processing")}
    assert {s: (v["status"], v["error_code"], v["error_class"], v["attempts"],
                v["max_attempts"]) for s, v in states.items()} == {
        "completed": ("succeeded", None, None, 25, 20),
        "failed": ("failed", "UPLOAD", "legacy", 25, 20),
        "queued": ("cancelled", "NOT_RUN", "legacy", 25, 20),
        "processing": ("failed", "INTERRUPTED", "legacy", 25, 20)}
    assert job_state(_job("failed"))["error_code"] == "UNKNOWN"


def test_a_digest_changes_with_the_row_and_its_file() -> None:
    job = _job("completed")
    assert digest(job) == digest(_job("completed"))
    assert len({digest(job), digest(_job("failed")), digest(job, "sha")}) == 3


def test_a_digest_is_what_earlier_runs_computed() -> None:
    # given rows of several tables, with lists, decimals, dates, ids and more values
    project_asset = ProjectAsset(ID("pa"), ID("p"), ID("b"), None, "Hat", "prop", "d", None,
                                 None, True, 2, T, ["name", "description"], T, T)
    # when their digests are computed
    found = [digest(_job("completed")), digest(_job("failed", "upload", 3), "sha", None,
                                               str(ID("x"))),
             digest(_instance("i", "s", "a", "h"), None, str(ID("s"))),
             digest(project_asset, "abc")]
    # then they are the ones the first import format gave (a changed digest would make a
    # re-run update every row an earlier run imported)
    assert found == ["cec79e8b120e10b52f97", "f21b652357f0f6fb4889", "3a5f1476f66fdce72575",
                     "935d11ea6c6fbc9d5aea"]


def _instance(name: str, scene: str, asset: str, inherits: str | None = None) -> Instance:
    return Instance(ID(name), ID(scene), ID(asset), None, None, None, True,
                    ID(inherits) if inherits else None, None, T, T, 0, None, None)


def test_the_instance_plan_keeps_what_it_can_and_says_why_not() -> None:
    # given a branch's scenes and assets, and instances of every kind
    rows = ProjectRows(
        Project(ID("p"), ID("u"), "P", None, T, T),
        [Branch(ID("b"), ID("p"), "main", True, None, T, T),
         Branch(ID("b2"), ID("p"), "alt", False, None, T, T)],
        scenes=[Scene(ID(s), ID(b), n, s, None, "draft", None, None, None, None, T, T)
                for n, (s, b) in enumerate((("s1", "b"), ("s2", "b"), ("t1", "b2")), 1)],
        assets=[ProjectAsset(ID(a), ID("p"), ID("b"), None, a, "prop", "", None, None, False,
                             None, None, [], T, T) for a in ("a", "skipped")],
        instances=[_instance("i1", "s1", "a", inherits="i2"), _instance("i2", "s2", "a",
                                                                        inherits="i1"),
                   _instance("dup", "s2", "a"), _instance("orphan", "gone", "a"),
                   _instance("lost", "s1", "gone"), _instance("child", "s1", "skipped"),
                   _instance("elsewhere", "t1", "a"), _instance("ok", "s1", "a2")])
    rows.assets.append(ProjectAsset(ID("a2"), ID("p"), ID("b"), None, "a2", "prop", "", None,
                                    None, False, None, None, [], T, T))
    rows.instances.append(_instance("heir", "s2", "a2", inherits="dup"))
    # when planned, with asset "skipped" not imported
    decided = plan(rows, {ID("a"), ID("a2")})
    # then
    assert [i.id for i in decided.kept] == [ID("i1"), ID("i2"), ID("ok"), ID("heir")]
    assert decided.prior == {}
    first = min(ID("i1"), ID("i2"), key=str)
    second = ID("i2") if first == ID("i1") else ID("i1")
    round_trip = f"inherited_from_instance_id goes round ({first} -> {second} -> {first})"
    assert sorted((k, str(i), m) for k, i, m in decided.problems) == sorted([
        (ProblemKind.DUPLICATE_INSTANCE, str(ID("dup")),
         f"scene {ID('s2')} already has instance {ID('i2')} of project asset {ID('a')}"),
        (ProblemKind.ORPHAN, str(ID("orphan")), f"its scene {ID('gone')} is gone"),
        (ProblemKind.ORPHAN, str(ID("lost")), f"its project asset {ID('gone')} is gone"),
        (ProblemKind.PARENT_SKIPPED, str(ID("child")),
         f"its project asset {ID('skipped')} was not imported"),
        (ProblemKind.MISSING_REFERENCE, str(ID("elsewhere")),
         f"its scene {ID('t1')} and its project asset {ID('a')} are in different branches"),
        (ProblemKind.MISSING_REFERENCE, str(ID("heir")),
         f"inherits from instance {ID('dup')}, which was not imported: imported without its "
         "DERIVED_FROM link"),
        (ProblemKind.INHERITANCE_CYCLE, str(ID("i1")),
         f"{round_trip}: imported without its DERIVED_FROM link"),
        (ProblemKind.INHERITANCE_CYCLE, str(ID("i2")),
         f"{round_trip}: imported without its DERIVED_FROM link"),
    ])


def test_the_root_branch_is_the_main_one_else_the_active_else_the_oldest() -> None:
    def branch(name: str, main: bool = False) -> Branch:
        return Branch(ID(name), ID("p"), name, main, None, T, T)
    project = Project(ID("p"), ID("u"), "P", ID("active"), T, T)
    assert root_branch(project, [branch("old"), branch("active"), branch("main", True)]
                       ).name == "main"
    assert root_branch(project, [branch("old"), branch("active")]).name == "active"
    assert root_branch(Project(ID("p"), ID("u"), "P", None, T, T), [branch("old")]).name == "old"
