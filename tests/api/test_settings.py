"""Settings: variables, `.env`, precedence, one-line errors, and `assetgraph config`."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from api.cli import main
from api.devmode import ensure_file_url_secret
from api.settings import JobSettings, Limits, Settings


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs where no `.env` is, unless it writes one."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_without_a_database_url_are_development() -> None:
    # given no variables
    # when the settings are read
    settings = Settings.from_env()
    # then it is a development setup on the embedded database, with the default limits
    assert (settings.environment, settings.introspection, settings.graphiql,
            settings.log_format, settings.metrics_token) == (
        "development", True, True, "text", None)
    assert settings.embedded
    assert settings.blobs == Path(".assetgraph/blobs")
    assert settings.limits == Limits(max_depth=15, max_aliases=30, max_tokens=15_000,
                                     max_page_size=100, max_lineage_depth=50,
                                     max_body_bytes=1024 * 1024)


def test_a_database_url_means_production(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a database URL and nothing else
    monkeypatch.setenv("ASSETGRAPH_DATABASE_URL", "postgresql://app@db/assets")
    # when the settings are read
    settings = Settings.from_env()
    # then production, without introspection or GraphiQL, logging JSON lines
    assert (settings.environment, settings.introspection, settings.graphiql,
            settings.log_format) == ("production", False, False, "json")
    assert not settings.embedded


def test_introspection_and_graphiql_can_be_set_apart_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given production with GraphiQL switched on and readable logs
    monkeypatch.setenv("ASSETGRAPH_ENV", "production")
    monkeypatch.setenv("ASSETGRAPH_GRAPHIQL", "yes")
    monkeypatch.setenv("ASSETGRAPH_LOG_FORMAT", "text")
    # when the settings are read
    settings = Settings.from_env()
    # then only GraphiQL is on, and the logs are text
    assert (settings.development, settings.introspection, settings.graphiql,
            settings.log_format) == (False, False, True, "text")


def test_flat_variables_fill_the_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    # given every limit and job variable
    for name, value in {
        "MAX_DEPTH": "7", "MAX_ALIASES": "8", "MAX_TOKENS": "900", "MAX_BODY_BYTES": "2048",
        "WORKERS": "0", "LEASE_SECONDS": "1.5", "POLL_SECONDS": "0.2",
        "BACKOFF_BASE_SECONDS": "0", "PROVIDER": "http", "PLACEHOLDER_COST": "0.25",
        "HTTP_PROVIDER_URL": "http://gen.local/run", "HTTP_PROVIDER_AUTH_HEADER": "X-Key: k",
        "HTTP_PROVIDER_TIMEOUT": "5", "BLOB_DIR": "/srv/blobs", "MAX_UPLOAD_BYTES": "4096",
        "STATEMENT_TIMEOUT_MS": "250", "POOL_SIZE": "3", "JWT_SECRET": "s3cret",
    }.items():
        monkeypatch.setenv(f"ASSETGRAPH_{name}", value)
    # when the settings are read
    settings = Settings.from_env()
    # then each lands where the code reads it
    assert settings.limits == Limits(max_depth=7, max_aliases=8, max_tokens=900,
                                     max_page_size=100, max_lineage_depth=50,
                                     max_body_bytes=2048)
    assert settings.jobs == JobSettings(
        workers=0, lease_seconds=1.5, poll_seconds=0.2, backoff_base_seconds=0.0,
        provider="http", placeholder_cost=Decimal("0.25"), http_url="http://gen.local/run",
        http_auth_header="X-Key: k", http_timeout=5.0, max_image_pixels=100_000_000)
    assert (settings.blobs, settings.max_upload_bytes, settings.statement_timeout_ms,
            settings.pool_size, settings.jwt_secret) == (
        Path("/srv/blobs"), 4096, 250, 3, "s3cret")


def test_an_empty_variable_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # given variables set to nothing
    monkeypatch.setenv("ASSETGRAPH_DATABASE_URL", "")
    monkeypatch.setenv("ASSETGRAPH_MAX_DEPTH", "")
    # when the settings are read
    settings = Settings.from_env()
    # then the defaults hold
    assert (settings.database_url, settings.environment, settings.max_depth) == (
        None, "development", 15)


def test_dotenv_in_the_working_directory_is_read(workdir: Path) -> None:
    # given a .env file where the command runs
    (workdir / ".env").write_text("ASSETGRAPH_MAX_DEPTH=9\nASSETGRAPH_ENV=production\n"
                                  "OTHER_TOOL_SETTING=ignored\n")
    # when the settings are read
    settings = Settings.from_env()
    # then its values apply
    assert (settings.max_depth, settings.environment, settings.introspection) == (
        9, "production", False)


def test_the_environment_beats_dotenv_and_flags_beat_both(
    workdir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the same settings in .env and in the environment
    (workdir / ".env").write_text("ASSETGRAPH_MAX_DEPTH=9\nASSETGRAPH_DATA_DIR=from-dotenv\n")
    monkeypatch.setenv("ASSETGRAPH_MAX_DEPTH", "11")
    monkeypatch.setenv("ASSETGRAPH_DATA_DIR", "from-env")
    # when the settings are read with a --data-dir flag
    settings = Settings.from_env(data_dir=Path("from-flag"))
    # then the environment wins over .env, and the flag over both
    assert (settings.max_depth, settings.data_dir) == (11, Path("from-flag"))


@pytest.mark.parametrize(("name", "value", "line"), [
    ("MAX_DEPTH", "abc", "ASSETGRAPH_MAX_DEPTH: expected an integer, got 'abc'"),
    ("ENV", "staging",
     "ASSETGRAPH_ENV: expected one of 'development', 'production', got 'staging'"),
    ("POOL_SIZE", "-3", "ASSETGRAPH_POOL_SIZE: expected an integer at least 1, got '-3'"),
    ("LEASE_SECONDS", "0", "ASSETGRAPH_LEASE_SECONDS: expected a number greater than 0, got '0'"),
    ("INTROSPECTION", "maybe", "ASSETGRAPH_INTROSPECTION: expected a boolean "
                               "(true/false, yes/no, on/off, 1/0), got 'maybe'"),
    ("PLACEHOLDER_COST", "cheap",
     "ASSETGRAPH_PLACEHOLDER_COST: expected a decimal number, got 'cheap'"),
    ("BLOB_URL", "ftp://files/blobs",
     "ASSETGRAPH_BLOB_URL: expected a file:///path or s3://bucket/prefix URL, "
     "got 'ftp://files/blobs'"),
    ("PUBLIC_URL", "studio.example",
     "ASSETGRAPH_PUBLIC_URL: expected an http:// or https:// URL without a query, "
     "got 'studio.example'"),
    ("FILE_URL_SECRET", "short",
     "ASSETGRAPH_FILE_URL_SECRET: expected a secret of at least 32 characters, got '***'"),
    ("DATABASE_URL", "mysql://app:pw@db/assets",
     "ASSETGRAPH_DATABASE_URL: expected a postgresql:// URL, got 'mysql://app:***@db/assets'"),
])
def test_a_bad_value_stops_any_command_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    name: str, value: str, line: str,
) -> None:
    # given one bad variable
    monkeypatch.setenv(f"ASSETGRAPH_{name}", value)
    # when a command runs
    with pytest.raises(SystemExit) as exit_:
        main(["migrate"])
    # then it stops before doing anything, with status 2 and the one line
    assert exit_.value.code == 2
    assert capsys.readouterr() == ("", line + "\n")


def test_a_bad_value_in_dotenv_names_the_variable(
    workdir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # given a .env with a bad worker count
    (workdir / ".env").write_text("ASSETGRAPH_WORKERS=-1\n")
    # when the server is started
    with pytest.raises(SystemExit) as exit_:
        main(["serve"])
    # then the variable is named
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "ASSETGRAPH_WORKERS: expected an integer at least 0, " \
                                      "got '-1'\n"


def test_config_prints_every_setting_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # given secrets in the database URL, the JWT secret and the provider's header
    monkeypatch.setenv("ASSETGRAPH_DATABASE_URL",
                       "postgresql://app:hunter2@db:5432/assets?password=hunter3&sslmode=require")
    monkeypatch.setenv("ASSETGRAPH_JWT_SECRET", "jwt-s3cret")
    monkeypatch.setenv("ASSETGRAPH_HTTP_PROVIDER_AUTH_HEADER", "X-Api-Key: k3y")
    monkeypatch.setenv("ASSETGRAPH_METRICS_TOKEN", "scr4pe")
    monkeypatch.setenv("ASSETGRAPH_S3_SECRET_ACCESS_KEY", "buck3t")
    monkeypatch.setenv("ASSETGRAPH_FILE_URL_SECRET", "url-s1gning-" + "x" * 32)
    # when `assetgraph config --json` runs
    main(["config", "--json"])
    # then every setting is there by variable name, and no secret is
    out = capsys.readouterr().out
    assert json.loads(out) == {
        "ASSETGRAPH_DATABASE_URL":
            "postgresql://app:***@db:5432/assets?password=***&sslmode=require",
        "ASSETGRAPH_DATA_DIR": ".assetgraph",
        "ASSETGRAPH_ENV": "production",
        "ASSETGRAPH_INTROSPECTION": False,
        "ASSETGRAPH_GRAPHIQL": False,
        "ASSETGRAPH_JWT_SECRET": "***",
        "ASSETGRAPH_STATEMENT_TIMEOUT_MS": 10000,
        "ASSETGRAPH_AUTH_CACHE_SECONDS": 5.0,
        "ASSETGRAPH_COMPILED_READS": True,
        "ASSETGRAPH_PROCESSES": 0,
        "ASSETGRAPH_POOL_SIZE": 10,
        "ASSETGRAPH_MAX_IN_FLIGHT": 10,
        "ASSETGRAPH_MAX_QUEUED": 200,
        "ASSETGRAPH_QUEUE_WAIT_SECONDS": 10.0,
        "ASSETGRAPH_MAX_DEPTH": 15,
        "ASSETGRAPH_MAX_ALIASES": 30,
        "ASSETGRAPH_MAX_TOKENS": 15000,
        "ASSETGRAPH_MAX_BODY_BYTES": 1048576,
        "ASSETGRAPH_MAX_VARIABLES_DEPTH": 64,
        "ASSETGRAPH_MAX_QUERY_COST": 50000,
        "ASSETGRAPH_RATE_LIMIT_PER_MINUTE": 6000,
        "ASSETGRAPH_COST_LIMIT_PER_MINUTE": 3000000,
        "ASSETGRAPH_WS_INIT_TIMEOUT_SECONDS": 10.0,
        "ASSETGRAPH_WS_MAX_OPERATIONS": 100,
        "ASSETGRAPH_WS_MAX_CONNECTIONS_PER_TOKEN": 20,
        "ASSETGRAPH_SHARED_SUBSCRIPTIONS": True,
        "ASSETGRAPH_WS_MAX_BACKLOG": 1000,
        "ASSETGRAPH_MAX_UPLOAD_BYTES": 536870912,
        "ASSETGRAPH_MAX_IMAGE_PIXELS": 100000000,
        "ASSETGRAPH_BLOB_DIR": ".assetgraph/blobs",
        "ASSETGRAPH_BLOB_URL": None,
        "ASSETGRAPH_S3_ENDPOINT_URL": None,
        "ASSETGRAPH_S3_REGION": None,
        "ASSETGRAPH_S3_ACCESS_KEY_ID": None,
        "ASSETGRAPH_S3_SECRET_ACCESS_KEY": "***",
        "ASSETGRAPH_WORKERS": 2,
        "ASSETGRAPH_PROVIDER": "placeholder",
        "ASSETGRAPH_PLACEHOLDER_COST": "0.01",
        "ASSETGRAPH_HTTP_PROVIDER_URL": None,
        "ASSETGRAPH_HTTP_PROVIDER_AUTH_HEADER": "***",
        "ASSETGRAPH_HTTP_PROVIDER_TIMEOUT": 60.0,
        "ASSETGRAPH_HTTP_PROVIDER_COST_ESTIMATE": "0",
        "ASSETGRAPH_MAX_QUEUED_JOBS": 10000,
        "ASSETGRAPH_LEASE_SECONDS": 30.0,
        "ASSETGRAPH_POLL_SECONDS": 1.0,
        "ASSETGRAPH_BACKOFF_BASE_SECONDS": 2.0,
        "ASSETGRAPH_LOG_FORMAT": "json",
        "ASSETGRAPH_METRICS_TOKEN": "***",
        "ASSETGRAPH_PUBLIC_URL": None,
        "ASSETGRAPH_FILE_URL_SECRET": "***",
    }
    assert "hunter" not in out and "s3cret" not in out and "k3y" not in out
    assert "scr4pe" not in out and "buck3t" not in out and "s1gning" not in out


def test_config_text_is_one_aligned_line_per_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # given a JWT secret and a --data-dir flag
    monkeypatch.setenv("ASSETGRAPH_JWT_SECRET", "jwt-s3cret")
    # when `assetgraph config` runs
    main(["config", "--data-dir", "/srv/assetgraph"])
    # then each variable has a line; unset ones say so
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(Settings.model_fields)
    assert lines[:6] == [
        "ASSETGRAPH_DATABASE_URL                  (unset)",
        "ASSETGRAPH_DATA_DIR                      /srv/assetgraph",
        "ASSETGRAPH_ENV                           development",
        "ASSETGRAPH_INTROSPECTION                 true",
        "ASSETGRAPH_GRAPHIQL                      true",
        "ASSETGRAPH_JWT_SECRET                    ***",
    ]


def test_production_refuses_to_serve_without_a_file_url_secret(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # given production settings without ASSETGRAPH_FILE_URL_SECRET
    monkeypatch.setenv("ASSETGRAPH_ENV", "production")
    # when the server is started
    with pytest.raises(SystemExit) as exit_:
        main(["serve"])
    # then it stops before starting anything, naming the variable
    assert exit_.value.code == 2
    assert capsys.readouterr() == ("", "ASSETGRAPH_FILE_URL_SECRET: expected a secret of at "
                                       "least 32 characters in production, got nothing\n")


def test_development_keeps_its_file_url_secret_in_the_data_dir(tmp_path: Path) -> None:
    # given a data directory without a secret
    # when the secret is asked for twice (two starts, or two processes)
    first, second = (ensure_file_url_secret(tmp_path) for _ in range(2))
    # then one was made, kept private, and read back the second time
    assert (first == second, len(first) >= 32,
            oct((tmp_path / "file-url-secret").stat().st_mode & 0o777),
            sorted(p.name for p in tmp_path.iterdir())) == (True, True, "0o600",
                                                            ["file-url-secret"])
