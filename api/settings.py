"""Settings from `ASSETGRAPH_*` environment variables (and CLI flags that override them)."""

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class Limits:
    max_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 15_000
    max_page_size: int = 100
    max_lineage_depth: int = 50
    max_body_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class JobSettings:
    workers: int = 2
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    backoff_base_seconds: float = 2.0
    provider: str = "placeholder"
    placeholder_cost: str = "0.01"
    http_url: str | None = None
    http_auth_header: str | None = None
    http_timeout: float = 60.0


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path(".assetgraph")
    environment: str = "development"
    jwt_secret: str | None = None
    statement_timeout_ms: int = 10_000
    auth_cache_seconds: float = 5.0
    compiled_reads: bool = True
    pool_size: int = 10
    introspection: bool = True
    graphiql: bool = True
    limits: Limits = field(default_factory=Limits)
    jobs: JobSettings = field(default_factory=JobSettings)
    blob_dir: Path | None = None
    max_upload_bytes: int = 512 * 1024 * 1024

    @property
    def blobs(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        database_url = os.environ.get("ASSETGRAPH_DATABASE_URL") or None
        environment = os.environ.get("ASSETGRAPH_ENV") or (
            "development" if database_url is None else "production"
        )
        development = environment == "development"
        settings = cls(
            database_url=database_url,
            data_dir=Path(os.environ.get("ASSETGRAPH_DATA_DIR") or ".assetgraph"),
            environment=environment,
            jwt_secret=os.environ.get("ASSETGRAPH_JWT_SECRET") or None,
            statement_timeout_ms=_int("ASSETGRAPH_STATEMENT_TIMEOUT_MS", 10_000),
            auth_cache_seconds=_float("ASSETGRAPH_AUTH_CACHE_SECONDS", 5.0),
            compiled_reads=_bool("ASSETGRAPH_COMPILED_READS", True),
            pool_size=_int("ASSETGRAPH_POOL_SIZE", 10),
            introspection=_bool("ASSETGRAPH_INTROSPECTION", development),
            graphiql=_bool("ASSETGRAPH_GRAPHIQL", development),
            limits=Limits(
                max_depth=_int("ASSETGRAPH_MAX_DEPTH", 15),
                max_aliases=_int("ASSETGRAPH_MAX_ALIASES", 30),
                max_tokens=_int("ASSETGRAPH_MAX_TOKENS", 15_000),
                max_body_bytes=_int("ASSETGRAPH_MAX_BODY_BYTES", 1024 * 1024),
            ),
            jobs=JobSettings(
                workers=_int("ASSETGRAPH_WORKERS", 2),
                lease_seconds=_float("ASSETGRAPH_LEASE_SECONDS", 30.0),
                poll_seconds=_float("ASSETGRAPH_POLL_SECONDS", 1.0),
                backoff_base_seconds=_float("ASSETGRAPH_BACKOFF_BASE_SECONDS", 2.0),
                provider=os.environ.get("ASSETGRAPH_PROVIDER") or "placeholder",
                placeholder_cost=os.environ.get("ASSETGRAPH_PLACEHOLDER_COST") or "0.01",
                http_url=os.environ.get("ASSETGRAPH_HTTP_PROVIDER_URL") or None,
                http_auth_header=os.environ.get("ASSETGRAPH_HTTP_PROVIDER_AUTH_HEADER") or None,
                http_timeout=_float("ASSETGRAPH_HTTP_PROVIDER_TIMEOUT", 60.0),
            ),
            blob_dir=Path(os.environ["ASSETGRAPH_BLOB_DIR"])
            if os.environ.get("ASSETGRAPH_BLOB_DIR") else None,
            max_upload_bytes=_int("ASSETGRAPH_MAX_UPLOAD_BYTES", 512 * 1024 * 1024),
        )
        return replace(settings, **overrides)  # type: ignore[arg-type]
