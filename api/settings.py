"""Settings from `ASSETGRAPH_*` environment variables, a `.env` file and CLI flags.

`Settings` owns every configurable default, exactly once. Its fields are flat and named after
their variables (`max_depth` is `ASSETGRAPH_MAX_DEPTH`; only `environment` is `ASSETGRAPH_ENV`),
so a name, its variable and its error message can never drift apart; `limits` and `jobs` group
them for the code that takes a group. Precedence: keyword arguments (CLI flags), then the
environment, then `./.env`, then the defaults here.
"""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from schema.schema import SchemaOptions

PREFIX = "ASSETGRAPH_"
Environment = Literal["development", "production"]
SECRETS = frozenset({"jwt_secret", "http_provider_auth_header", "metrics_token",
                     "s3_secret_access_key", "file_url_secret"})
MASK = "***"

FILE_URL_SECRET_MIN = 32

# Part of the API's contract rather than deployment choices, so not configurable.
MAX_PAGE_SIZE = 100
MAX_LINEAGE_DEPTH = 50


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_tokens: int
    max_page_size: int
    max_lineage_depth: int
    max_body_bytes: int


@dataclass(frozen=True)
class JobSettings:
    workers: int
    lease_seconds: float
    poll_seconds: float
    backoff_base_seconds: float
    provider: str
    placeholder_cost: Decimal
    http_url: str | None
    http_auth_header: str | None
    http_timeout: float
    max_image_pixels: int
    http_cost_estimate: Decimal = Decimal(0)

    @property
    def cost_estimates(self) -> tuple[tuple[str, Decimal], ...]:
        """What one generation is estimated to cost, by provider (reserved against budgets)."""
        return (("placeholder", self.placeholder_cost), ("thumbnail", Decimal(0)),
                ("http", self.http_cost_estimate))


class InvalidSettings(Exception):
    """One line per bad value, each naming its variable and what it expects."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_file=".env", env_ignore_empty=True, extra="ignore",
        populate_by_name=True, frozen=True,
    )

    database_url: str | None = None
    data_dir: Path = Path(".assetgraph")
    # The next three (and log_format) follow the environment unless set (_derived_defaults).
    environment: Environment = Field("development", validation_alias=f"{PREFIX}ENV")
    introspection: bool = True
    graphiql: bool = True
    jwt_secret: str | None = None
    statement_timeout_ms: int = Field(10_000, ge=0)
    auth_cache_seconds: float = Field(5.0, ge=0)
    compiled_reads: bool = True
    processes: int = Field(0, ge=0)  # `serve` processes; 0: one per core
    pool_size: int = Field(10, ge=1)
    # Admission (api/admission.py): requests served at once, waiting, and how long they wait.
    max_in_flight: int = Field(10, ge=1)
    max_queued: int = Field(200, ge=0)
    queue_wait_seconds: float = Field(10.0, gt=0)
    max_depth: int = Field(15, ge=1)
    max_aliases: int = Field(30, ge=1)
    max_tokens: int = Field(15_000, ge=1)
    max_body_bytes: int = Field(1024 * 1024, ge=1)
    max_variables_depth: int = Field(64, ge=1, le=500)
    # The objects an operation could return, estimated before it runs (schema/cost.py).
    max_query_cost: int = Field(50_000, ge=1)
    rate_limit_per_minute: int = Field(6000, ge=0)  # per token and process; 0: no limit
    cost_limit_per_minute: int = Field(3_000_000, ge=0)  # cost points, likewise
    # WebSockets (api/sockets.py): connection_init within, operations at once on a connection,
    # connections open at once per token and process.
    ws_init_timeout_seconds: float = Field(10.0, gt=0)
    ws_max_operations: int = Field(100, ge=1)
    ws_max_connections_per_token: int = Field(20, ge=1)
    # Subscriptions of one shape share one execution per event (api/realtime.py); off, each
    # runs alone (the previous design, kept as bench/subscribers.py's baseline).
    shared_subscriptions: bool = True
    # Events a subscriber may fall behind before it is closed (TOO_SLOW).
    ws_max_backlog: int = Field(1000, ge=1)
    max_upload_bytes: int = Field(512 * 1024 * 1024, ge=1)
    # Pillow refuses past twice its own 89.5 MP: a limit above that would never be reached.
    max_image_pixels: int = Field(100_000_000, ge=1, le=178_956_970)
    blob_dir: Path | None = None
    # `file:///path` (a directory, as blob_dir) or `s3://bucket/prefix`; unset: blob_dir.
    blob_url: str | None = None
    # For an s3:// blob_url; unset, each comes from the usual AWS_* variable.
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    workers: int = Field(2, ge=0)
    provider: Literal["placeholder", "thumbnail", "http"] = "placeholder"
    placeholder_cost: Decimal = Field(Decimal("0.01"), ge=0)
    http_provider_url: str | None = None
    http_provider_auth_header: str | None = None
    http_provider_timeout: float = Field(60.0, gt=0)
    # What budgets reserve for one http generation until its actual cost is known.
    http_provider_cost_estimate: Decimal = Field(Decimal("0"), ge=0)
    # Back-pressure: an enqueue into a workspace with this many queued jobs is QUEUE_FULL.
    max_queued_jobs: int = Field(10_000, ge=1)
    lease_seconds: float = Field(30.0, gt=0)
    poll_seconds: float = Field(1.0, gt=0)
    backoff_base_seconds: float = Field(2.0, ge=0)
    log_format: Literal["json", "text"] = "text"
    # /metrics answers `Authorization: Bearer <metrics_token>`; unset, it is not served.
    metrics_token: str | None = None
    # Where clients reach this service (file URLs are made under it); unset: each request's
    # own scheme and Host.
    public_url: str | None = None
    # The HMAC key of signed file URLs; required in production (development keeps one in the
    # data directory).
    file_url_secret: str | None = None

    @field_validator("database_url")
    @classmethod
    def _postgresql(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("postgresql://", "postgres://",
                                                   "postgresql+asyncpg://")):
            raise ValueError("a postgresql:// URL")
        return url

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
                or parts.fragment:
            raise ValueError("an http:// or https:// URL without a query")
        return url.rstrip("/")

    @field_validator("file_url_secret")
    @classmethod
    def _file_url_secret(cls, secret: str | None) -> str | None:
        if secret is not None and len(secret) < FILE_URL_SECRET_MIN:
            raise ValueError(f"a secret of at least {FILE_URL_SECRET_MIN} characters")
        return secret

    @field_validator("blob_url")
    @classmethod
    def _blob_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if info.data.get("blob_dir") is not None:
            raise ValueError(f"either it or {PREFIX}BLOB_DIR, not both")
        if parts.scheme == "file" and parts.path and not parts.netloc:
            return url
        if parts.scheme == "s3" and parts.netloc:
            return url
        raise ValueError("a file:///path or s3://bucket/prefix URL")

    @model_validator(mode="after")
    def _derived_defaults(self) -> Self:
        given = self.model_fields_set
        environment = self.environment
        if "environment" not in given and self.database_url is not None:
            environment = "production"
        development = environment == "development"
        # Frozen: set through __dict__, once, while the model is still being validated.
        self.__dict__.update(
            environment=environment,
            introspection=self.introspection if "introspection" in given else development,
            graphiql=self.graphiql if "graphiql" in given else development,
            log_format=self.log_format if "log_format" in given
            else "text" if development else "json",
        )
        return self

    @classmethod
    def from_env(cls, **overrides: Any) -> "Settings":
        """The environment's settings, `overrides` winning; `InvalidSettings` if any is bad."""
        try:
            return cls(**overrides)
        except ValidationError as error:
            raise InvalidSettings([_problem(detail) for detail in error.errors()]) from None

    @property
    def blobs(self) -> Path:
        """The blob directory (of a local store)."""
        if self.blob_url is not None and self.blob_url.startswith("file:"):
            return Path(urlsplit(self.blob_url).path)
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def blobs_in_bucket(self) -> bool:
        return self.blob_url is not None and self.blob_url.startswith("s3:")

    def check_serving(self) -> None:
        """`InvalidSettings` when a server must not start with these settings: production
        without a file URL secret (every process must sign alike, and a made-up one would
        not survive a restart)."""
        if self.file_url_secret is None and not self.development:
            raise InvalidSettings([f"{variable('file_url_secret')}: expected a secret of at "
                                   f"least {FILE_URL_SECRET_MIN} characters in production, "
                                   "got nothing"])

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def limits(self) -> Limits:
        return Limits(
            max_depth=self.max_depth, max_aliases=self.max_aliases, max_tokens=self.max_tokens,
            max_page_size=MAX_PAGE_SIZE, max_lineage_depth=MAX_LINEAGE_DEPTH,
            max_body_bytes=self.max_body_bytes,
        )

    @property
    def jobs(self) -> JobSettings:
        return JobSettings(
            workers=self.workers, lease_seconds=self.lease_seconds,
            poll_seconds=self.poll_seconds, backoff_base_seconds=self.backoff_base_seconds,
            provider=self.provider, placeholder_cost=self.placeholder_cost,
            http_url=self.http_provider_url, http_auth_header=self.http_provider_auth_header,
            http_timeout=self.http_provider_timeout, max_image_pixels=self.max_image_pixels,
            http_cost_estimate=self.http_provider_cost_estimate,
        )

    def effective(self) -> dict[str, Any]:
        """Every setting by variable name, as JSON values, secrets masked."""
        values: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "blob_dir" and not self.blobs_in_bucket:
                value = self.blobs
            if value is not None and name in SECRETS:
                value = MASK
            elif isinstance(value, str) and name == "database_url":
                value = mask_url(value)
            elif isinstance(value, Path | Decimal):
                value = str(value)
            values[variable(name)] = value
        return values


def schema_options(settings: Settings) -> "SchemaOptions":
    from schema.schema import SchemaOptions  # strawberry only for the commands that need it

    return SchemaOptions(
        development=settings.development, introspection=settings.introspection,
        max_depth=settings.max_depth, max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens, max_cost=settings.max_query_cost,
        page_size=MAX_PAGE_SIZE,
    )


def variable(name: str) -> str:
    """The environment variable of a field."""
    alias = Settings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else PREFIX + name.upper()


def mask_url(url: str) -> str:
    """`url` with its password (in the authority or a `password=` parameter) as `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        credentials, _, host = netloc.rpartition("@")
        netloc = f"{credentials.partition(':')[0]}:{MASK}@{host}"
    query = [(key, MASK if key == "password" else value)
             for key, value in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="*")))


_EXPECTED = {
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "decimal_parsing": "a decimal number",
    "bool_parsing": "a boolean (true/false, yes/no, on/off, 1/0)",
}
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "greater than")}


def _problem(detail: ErrorDetails) -> str:
    """`ASSETGRAPH_MAX_DEPTH: expected an integer, got 'abc'`."""
    fields = {variable(name): name for name in Settings.model_fields}
    location = str(detail["loc"][0]) if detail["loc"] else ""
    name = fields.get(location, location)
    context = detail.get("ctx", {})
    kind = detail["type"]
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
    elif kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        number = "an integer" if Settings.model_fields[name].annotation is int else "a number"
        expected = f"{number} {words} {context[bound]:g}"
    elif kind == "literal_error":
        expected = "one of " + str(context["expected"]).replace(" or ", ", ")
    elif kind == "value_error":
        expected = str(context["error"])
    else:
        expected = detail["msg"]
    got = detail["input"]
    if name in SECRETS:
        got = MASK
    elif name == "database_url" and isinstance(got, str):
        got = mask_url(got)
    where = variable(name) if name in Settings.model_fields else location
    return f"{where}: expected {expected}, got {got!r}"
