"""Subscriptions: `jobUpdated` and `events`, fed by the process's event fan-out.

Each subscribes to the fan-out BEFORE reading the database, so nothing committed between the
read and the subscription is missed; what both deliver is de-duplicated.

Shared (api.realtime, api.sockets): a subscriber sends its own first state or replay, then
what its shape's feed publishes, skipping by key what it sent itself. The feed is the same
resolver run once for the shape with `context.feed` set: no first state, no replay, live
events only, each value's key said before it is yielded. Sharing off, each subscriber runs
the whole resolver alone, as before.
"""

from collections.abc import AsyncGenerator
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError

from domain.collections.queries import member_pages
from domain.events import EVENT_KEY, workspace_events_after
from domain.jobs.queries import get_jobs, job_from_snapshot
from domain.jobs.rules import TERMINAL
from domain.records import EventRecord
from schema.context import (
    JOIN_FEED,
    EventScope,
    EventStream,
    Membership,
    SubscriptionContext,
)
from schema.inputs import decode_cursor, query_id
from schema.types.event import GraphEvent
from schema.types.job import Job

REPLAY_PAGE = 200


def _context(info: strawberry.Info) -> SubscriptionContext:
    context = info.context
    if not isinstance(context, SubscriptionContext) or context.principal is None:
        raise GraphQLError("authentication required", extensions={"code": "UNAUTHENTICATED"})
    return context


@strawberry.input(description="Which events to deliver: every condition given must hold.")
class EventFilter:
    topics: list[str] | None = strawberry.field(default=None,
                                                description="e.g. asset.updated, job.updated")
    collection_id: strawberry.ID | None = strawberry.field(
        default=None, description="Events of the collection and of its member assets.")
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="Events about this asset only.")


class _Matcher:
    """Whether an event passes the filter; collection membership follows the live events."""

    def __init__(self, topics: list[str] | None, asset_id: UUID | None,
                 collection_id: UUID | None, members: set[UUID]) -> None:
        self.topics = set(topics) if topics is not None else None
        self.asset_id = asset_id
        self.collection_id = collection_id
        self.members = members

    def __call__(self, event: EventRecord) -> bool:
        if self.collection_id is not None and event.subject_id == self.collection_id:
            member = event.payload.get("asset_id")
            if event.topic == "collection.asset_added" and member:
                self.members.add(UUID(member))
            elif event.topic == "collection.asset_removed" and member:
                self.members.discard(UUID(member))
        if self.topics is not None and event.topic not in self.topics:
            return False
        if self.asset_id is not None and event.subject_id != self.asset_id:
            return False
        if self.collection_id is not None:
            return event.subject_id == self.collection_id or event.subject_id in self.members
        return True


def _membership(context: SubscriptionContext) -> Membership | None:
    """This subscriber's place in its shape's shared feed; None when it runs alone (sharing
    off, a query over a socket) or when this execution IS the feed."""
    join = JOIN_FEED.get()
    return join() if join is not None and context.feed is None else None


def _listening(context: SubscriptionContext, member: Membership | None) -> EventStream | None:
    """The events this execution reads itself: none for a member (its feed reads them), the
    feed's own subscription for the feed, else one of its own."""
    if member is not None:
        return None
    if context.feed is not None:
        return context.feed.events
    assert context.principal is not None
    return context.events.subscribe(context.principal.workspace_id)


@strawberry.type(description="Live updates over a WebSocket on /graphql; the bearer token "
                             "goes in the Authorization header or the connection_init "
                             "payload.")
class Subscription:
    @strawberry.subscription(description="The job's current state first, then each change; "
                                         "ends after a terminal state.")
    async def job_updated(
        self, info: strawberry.Info, job_id: Annotated[strawberry.ID, strawberry.argument(
            description="The job's global ID.")],
    ) -> AsyncGenerator[Job, None]:
        context = _context(info)
        assert context.principal is not None
        wanted = query_id(job_id, "Job", "jobId")
        # Listening before the first read: nothing committed in between is missed.
        member = _membership(context)
        live = _listening(context, member)
        scope = EventScope.begin(context.database, context.principal)
        try:
            seen = None
            if context.feed is None:  # the feed sends changes only; each subscriber its state
                job = (await get_jobs(scope.tx, [wanted])).get(wanted)
                if job is None:
                    raise GraphQLError("job not found", extensions={"code": "NOT_FOUND"})
                yield Job.from_record(job)
                seen = job.updated_at
                if job.status in TERMINAL:
                    return
            if member is not None:
                assert seen is not None
                first = seen
                member.skip = lambda updated_at: updated_at <= first
                await member.run()
                return
            assert live is not None
            async for event in live:
                if event.topic != "job.updated" or event.subject_id != wanted:
                    continue
                state = job_from_snapshot(event.payload)
                if seen is not None and state.updated_at <= seen:
                    continue  # already in the state sent first
                seen = state.updated_at
                await scope.end()
                scope = EventScope.begin(context.database, context.principal)
                if context.feed is not None:
                    context.feed.key = state.updated_at
                yield Job.from_record(state)
                if state.status in TERMINAL:
                    return
        finally:
            await scope.end()
            if live is not None:
                live.close()
            if member is not None:
                member.leave()

    @strawberry.subscription(description="Events of the workspace as they are committed; "
                                         "with `after` (an event cursor) it first replays "
                                         "everything since.")
    async def events(
        self, info: strawberry.Info,
        filter: Annotated[EventFilter | None, strawberry.argument(
            description="Which events; null for all of the workspace.")] = None,
        after: Annotated[str | None, strawberry.argument(
            description="An event's `cursor`: first replay every matching event after it, "
                        "then go live. Omit to start live.")] = None,
    ) -> AsyncGenerator[GraphEvent, None]:
        context = _context(info)
        assert context.principal is not None
        f = filter or EventFilter()
        asset_id = query_id(f.asset_id, "Asset", "filter.assetId") if f.asset_id else None
        collection_id = query_id(f.collection_id, "Collection", "filter.collectionId") \
            if f.collection_id else None
        cursor = decode_cursor(after, *EVENT_KEY)
        member = _membership(context)
        replays = cursor is not None and context.feed is None  # the feed goes live at once
        live = _listening(context, member)
        scope = EventScope.begin(context.database, context.principal)
        try:
            members: set[UUID] = set()
            if collection_id is not None and (member is None or replays):
                page = (await member_pages(scope.tx, [collection_id], types=None, first=10_000,
                                           after=None))[collection_id]
                members = {m.asset.id for m in page.items}
            matches = _Matcher(f.topics, asset_id, collection_id, members)
            delivered: set[int] = set()
            if replays:
                assert cursor is not None
                last = cursor[0]
                while True:
                    found = await workspace_events_after(
                        scope.tx, last, topics=None, subject_ids=None, limit=REPLAY_PAGE)
                    for event in found:
                        delivered.add(event.id)
                        if matches(event):
                            yield GraphEvent.from_record(event)
                    if len(found) < REPLAY_PAGE:
                        break
                    last = found[-1].id
            if member is not None:
                if cursor is not None:
                    after_id = cursor[0]
                    member.skip = lambda event_id: event_id in delivered or event_id <= after_id
                await member.run()
                return
            assert live is not None
            async for event in live:
                if event.id in delivered or (cursor is not None and event.id <= cursor[0]):
                    continue
                if matches(event):
                    if context.feed is not None:
                        context.feed.key = event.id
                    yield GraphEvent.from_record(event)
        finally:
            await scope.end()
            if live is not None:
                live.close()
            if member is not None:
                member.leave()
