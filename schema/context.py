"""The per-request context: who is asking, the request's transaction, its loaders, its limits."""

from dataclasses import dataclass

from strawberry.types import Info as StrawberryInfo

from domain.access import Principal
from domain.db import Transaction
from domain.storage import BlobStore
from schema.dataloaders import Loaders


@dataclass(frozen=True)
class Limits:
    max_page_size: int = 100
    max_lineage_depth: int = 50
    max_upload_bytes: int = 512 * 1024 * 1024


@dataclass
class Context:
    principal: Principal | None
    tx: Transaction
    loaders: Loaders
    limits: Limits
    store: BlobStore


Info = StrawberryInfo[Context, None]
