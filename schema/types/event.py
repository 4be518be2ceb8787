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


@strawberry.type
class GraphEvent(Node):
    record: strawberry.Private[EventRecord]
    id: strawberry.ID
    cursor: str
    topic: str
    subject_id: strawberry.ID | None
    actor: str | None
    payload: JSON
    created_at: datetime

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


@strawberry.type
class EventEdge:
    cursor: str
    node: GraphEvent


@strawberry.type
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo
