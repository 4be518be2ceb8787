"""Derived state of an asset: its sync source, overrides, conflicts (DESIGN §4)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from domain.records import AssetRecord
from domain.sync.queries import SyncSource
from domain.sync.rules import Conflict, conflicts, snapshot
from schema.types.common import RelationshipType

if TYPE_CHECKING:
    from schema.types.asset import Asset

AssetRef = Annotated["Asset", strawberry.lazy("schema.types.asset")]


@strawberry.type(description="A field overridden here and changed at the source since the "
                             "last sync.")
class SyncConflict:
    field: str
    local_value: JSON | None
    source_value: JSON | None
    base_value: JSON | None

    @classmethod
    def of(cls, conflict: Conflict) -> "SyncConflict":
        return cls(field=conflict.field, local_value=JSON(conflict.local_value),
                   source_value=JSON(conflict.source_value), base_value=JSON(conflict.base_value))


@strawberry.type
class SyncStatus:
    relationship_type: RelationshipType
    source_version: int = strawberry.field(description="The source's version at the last sync.")
    current_source_version: int
    outdated: bool = strawberry.field(description="An update is available at the source.")
    overridden_fields: list[str]
    conflicts: list[SyncConflict]
    synced_at: datetime | None
    source_record: strawberry.Private[AssetRecord]

    @strawberry.field(description="The source; `deletedAt` is set if it was force-deleted.")
    def source(self) -> AssetRef:
        from schema.types.asset import Asset

        return Asset.from_record(self.source_record)

    @classmethod
    def of(cls, asset: AssetRecord, sync: SyncSource) -> "SyncStatus":
        kind = sync.edge.relationship_type
        synced_at = sync.edge.metadata.get("synced_at")
        return cls(
            relationship_type=kind,
            source_version=sync.source_version,
            current_source_version=sync.source.version,
            outdated=sync.source.version > sync.source_version,
            overridden_fields=sync.overridden,
            conflicts=[SyncConflict.of(c) for c in conflicts(
                snapshot(asset, kind), snapshot(sync.source, kind), sync.base, sync.overridden)],
            synced_at=datetime.fromisoformat(synced_at) if synced_at else None,
            source_record=sync.source,
        )


@strawberry.type(description="What a prompt builder injects for one asset of a scene.")
class SceneContextEntry:
    asset_id: strawberry.ID
    project_asset_id: strawberry.ID
    name: str
    type: str
    description: str
    status_tags: list[str]
    image_url: str | None
