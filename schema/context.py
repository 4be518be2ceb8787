"""The per-request context: who is asking, the request's transaction, its loaders, its limits."""

from dataclasses import dataclass

from strawberry.types import Info as StrawberryInfo

from domain.access import Principal
from domain.db import Transaction
from schema.dataloaders import Loaders


@dataclass(frozen=True)
class Limits:
    max_page_size: int = 100
    max_lineage_depth: int = 50


@dataclass
class Context:
    principal: Principal | None
    tx: Transaction
    loaders: Loaders
    limits: Limits


Info = StrawberryInfo[Context, None]
