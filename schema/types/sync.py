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
    field: str = strawberry.field(
        description="The field: name, description, generationPrompt, url, tags, or "
                    "metadata.<key>.")
    local_value: JSON | None = strawberry.field(description="The value here (overridden).")
    source_value: JSON | None = strawberry.field(description="The value at the source now.")
    base_value: JSON | None = strawberry.field(
        description="Both sides' value at the last sync: what each changed from.")

    @classmethod
    def of(cls, conflict: Conflict) -> "SyncConflict":
        return cls(field=conflict.field, local_value=JSON(conflict.local_value),
                   source_value=JSON(conflict.source_value), base_value=JSON(conflict.base_value))


@strawberry.type(description="How an asset derived from another (a clone, a promoted asset, "
                             "a scene instance) stands to its source.")
class SyncStatus:
    relationship_type: RelationshipType = strawberry.field(
        description="The sync-source edge's type: DERIVED_FROM (clone) or VARIANT_OF (scene "
                    "instance).")
    source_version: int = strawberry.field(description="The source's version at the last sync.")
    current_source_version: int = strawberry.field(
        description="The source's version now.")
    outdated: bool = strawberry.field(description="An update is available at the source.")
    overridden_fields: list[str] = strawberry.field(
        description="Fields edited here since the last sync; a sync keeps them unless told "
                    "to take the source's.")
    conflicts: list[SyncConflict] = strawberry.field(
        description="Overridden fields the source also changed since the last sync.")
    synced_at: datetime | None = strawberry.field(
        description="When the asset was last synced (or created from the source), UTC.")
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
            outdated=sync.outdated,
            overridden_fields=sync.overridden,
            conflicts=[SyncConflict.of(c) for c in conflicts(
                snapshot(asset, kind), snapshot(sync.source, kind), sync.base, sync.overridden)],
            synced_at=datetime.fromisoformat(synced_at) if synced_at else None,
            source_record=sync.source,
        )
