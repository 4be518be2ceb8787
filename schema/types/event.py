"""Events of the audit log as GraphQL objects."""

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from domain.events import event_key
from domain.records import EventRecord
from schema.inputs import encode_cursor, to_global_id
from schema.types.common import Node, PageInfo
from schema.types.record_fields import build

# The subject's GraphQL type, by the topic's first segment.
SUBJECT_TYPES = {"asset": "Asset", "collection": "Collection", "job": "Job"}


@strawberry.type(description="An entry of the workspace's append-only event log: the audit "
                             "trail and what the `events` subscription delivers.")
class GraphEvent(Node):
    record: strawberry.Private[EventRecord]
    id: strawberry.ID = strawberry.field(description="Global ID of the event.")
    cursor: str = strawberry.field(
        description="Its place in the log: pass it as `events(after:)` to resume after it.")
    topic: str = strawberry.field(
        description="Dotted, subject type first: asset.created, asset.updated, "
                    "asset.deleted, collection.asset_added, job.updated, ...")
    subject_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the asset, collection or job it is about; null if none.")
    actor: str | None = strawberry.field(
        description="The token name that caused it; null for the system (e.g. a worker).")
    payload: JSON = strawberry.field(
        description="Topic-specific detail, e.g. asset.updated: {changes: {field: {before, "
                    "after}}, reason}; job.updated: the whole job.")
    created_at: datetime = strawberry.field(description="When it was committed (UTC).")

    @classmethod
    def from_record(cls, record: EventRecord) -> "GraphEvent":
        subject_type = SUBJECT_TYPES.get(record.topic.split(".", 1)[0])
        return build(
            cls, record,
            id=strawberry.ID(to_global_id("Event", record.id)),
            cursor=encode_cursor(*event_key(record)),
            subject_id=(
                strawberry.ID(to_global_id(subject_type, record.subject_id))
                if subject_type and record.subject_id
                else None
            ),
        )


@strawberry.type(description="An event in an asset's history.")
class EventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: GraphEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of an asset's history, oldest first.")
class EventConnection:
    edges: list[EventEdge] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
