"""Plain records the query functions return; the GraphQL layer builds its types from them."""

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Self, TypeVar
from uuid import UUID

from sqlalchemy import FromClause, Label
from sqlalchemy.engine import Row

from domain.assets.vocabulary import AssetSource
from domain.graph.vocabulary import RelationshipType

T = TypeVar("T")


def labelled(table: FromClause, prefix: str) -> list[Label[Any]]:
    """A table's columns labelled `<prefix><name>`, to read back with `from_row(row, prefix)`."""
    return [column.label(prefix + column.name) for column in table.c]


class FromRow:
    """Builds a record from a result row holding (at least) the record's columns."""

    @classmethod
    def from_row(cls, row: Row[Any], prefix: str = "") -> Self:
        """`prefix`: when a statement selects several records' columns labelled `<prefix><name>`."""
        mapping = row._mapping
        return cls(**{f.name: mapping[prefix + f.name] for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class AssetRecord(FromRow):
    workspace_id: UUID
    id: UUID
    type: str
    name: str
    description: str
    generation_prompt: str
    url: str | None
    blob_sha256: str | None
    mime_type: str | None
    size: int | None
    duration: Decimal | None
    metadata: dict[str, Any]
    tags: list[str]
    source: AssetSource
    generation_cost: Decimal
    generation_metadata: dict[str, Any]
    locked: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    created_by: str | None

    def __post_init__(self) -> None:
        # Rows carry the stored string; the record carries the enum.
        object.__setattr__(self, "source", AssetSource(self.source))


@dataclass(frozen=True)
class RelationshipRecord(FromRow):
    workspace_id: UUID
    id: UUID
    parent_asset_id: UUID
    child_asset_id: UUID
    relationship_type: RelationshipType
    sequence: int
    metadata: dict[str, Any]
    created_at: datetime

    def __post_init__(self) -> None:
        # Rows carry the stored string; the record carries the enum.
        object.__setattr__(self, "relationship_type", RelationshipType(self.relationship_type))


@dataclass(frozen=True)
class CollectionRecord(FromRow):
    workspace_id: UUID
    id: UUID
    name: str
    type: str
    description: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EventRecord(FromRow):
    workspace_id: UUID
    id: int
    topic: str
    subject_id: UUID | None
    actor: str | None
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list."""

    items: list[T]
    has_next: bool
