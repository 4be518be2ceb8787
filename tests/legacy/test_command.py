"""`assetgraph import-legacy` as a real subprocess against the embedded test server."""

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import EngineDatabase
from tests.conftest import make_workspace
from tests.fixtures.legacy import ID, create_schema, fill_studio, scratch_database
from tests.legacy.helpers import FIRST_RUN, unchanged


def _command(engine: AsyncEngine, blobs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSETGRAPH_BLOB_DIR": str(blobs),
           "ASSETGRAPH_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return subprocess.run([sys.executable, "-m", "api.cli", "import-legacy", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


async def test_the_command_imports_reports_json_and_a_rerun_changes_nothing(
    engine: AsyncEngine, committed_database: EngineDatabase, tmp_path: Path,
) -> None:
    # given a workspace, and the studio in a legacy database with its bucket's export
    workspace = await make_workspace(committed_database, "Imported studio")
    files = tmp_path / "bucket"
    files.mkdir()
    async with scratch_database(engine) as url:
        await create_schema(url)
        await fill_studio(url, files)
        options = ["--source-url", url, "--files-dir", str(files),
                   "--workspace", str(workspace.id)]
        # when it is imported from the command line
        done = _command(engine, tmp_path / "blobs", *options, "--json")
        # and again, as a dry run, in the human format
        again = _command(engine, tmp_path / "blobs", *options, "--dry-run")
    # then the first run exits 1 (one project failed and was rolled back) with its report
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert {name: tuple(c.values()) for name, c in report["tables"].items()} == FIRST_RUN
    assert (report["workspace_id"], report["dry_run"], report["changed"],
            report["failed_units"], report["rows_read"]) == (str(workspace.id), False, True, 1,
                                                             59)
    assert [(p["kind"], p["legacy_id"]) for p in report["problems"]
            if p["kind"] == "project_failed"] == [("project_failed", str(ID("p_broken")))]
    assert len(report["problems"]) == 11
    # and the second prints a table whose every imported row is unchanged
    assert again.returncode == 1, again.stderr
    lines = again.stdout.splitlines()
    assert lines[0].split() == ["table", "read", "created", "updated", "unchanged", "skipped"]
    table = {line.split()[0]: tuple(int(n) for n in line.split()[1:]) for line in lines[1:12]}
    assert table == unchanged(FIRST_RUN)
    assert lines[-1].endswith("nothing changed; 1 unit(s) failed and were rolled back")
    assert again.stderr == ""  # no progress bar when stderr is no terminal
