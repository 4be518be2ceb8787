"""Realtime fan-out: ONE listening connection per process, bounded queues per subscriber.

Writers NOTIFY `<workspace>:<event id>` at commit (`domain.events.record_event`). The
listener collects ids, reads the events in batches, and hands each to the subscribers of its
workspace. A subscriber whose queue is full is closed with an error rather than allowed to
grow memory (and counted: `assetgraph_subscribers_dropped_total`). When the connection drops
(a database restart), the listener reconnects and catches up from the last id it saw,
re-reading a window before it (ids are taken before commit, so they can commit out of order)
and skipping what it already delivered. Anything else that fails is logged and started over.

Shared feeds (issue 12): subscriptions of one *shape* (workspace, role, link prefix, document,
operation and variables) deliver the same payloads, so one `Feed` per shape executes the
subscription once per event and serialises its payload once (`Feed.publish`); each subscriber
(`Member`) only filters by its own key (what its first state or replay already sent) and
writes the protocol's frame around the shared payload. The feed's execution is the same
strawberry subscription a lone subscriber runs (api.sockets), in a context that marks it as
the feed: its resolver skips the per-subscriber prelude and says each value's key. A member
whose socket stops reading only grows its own backlog, and is dropped past
`max_queue` payloads; nothing else waits for it.
"""

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from graphql import GraphQLError

from api.metrics import FANOUT_LAG, SHARED_PAYLOADS, SUBSCRIBERS_DROPPED
from domain.db import Database, transaction
from domain.events import (
    EVENTS_CHANNEL,
    events_by_ids,
    events_since,
    latest_event_id,
    parse_notice,
)
from domain.records import EventRecord

log = logging.getLogger("assetgraph.realtime")
CATCH_UP_WINDOW = 1000
REMEMBERED = 20_000


class SubscriberTooSlow(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "TOO_SLOW"})


def _too_slow(max_queue: int) -> str:
    return f"subscriber fell {max_queue} events behind; resume from a cursor"


class Subscription:
    def __init__(self, broker: "Broker", workspace_id: UUID, max_queue: int) -> None:
        self.broker = broker
        self.workspace_id = workspace_id
        self.max_queue = max_queue
        self._queue: deque[EventRecord] = deque()
        self._ready = asyncio.Event()
        self.error: str | None = None

    def push(self, event: EventRecord) -> None:
        if len(self._queue) >= self.max_queue:
            self.error = _too_slow(self.max_queue)
            self.broker.unsubscribe(self)
            SUBSCRIBERS_DROPPED.inc()
        else:
            self._queue.append(event)
        self._ready.set()

    def close(self) -> None:
        self.broker.unsubscribe(self)

    async def __aiter__(self) -> AsyncIterator[EventRecord]:
        try:
            while True:
                while self._queue:
                    yield self._queue.popleft()
                if self.error:
                    raise SubscriberTooSlow(self.error)
                self._ready.clear()
                await self._ready.wait()
        finally:
            self.broker.unsubscribe(self)


@dataclass(frozen=True)
class Shape:
    """What makes two subscriptions deliver the same payloads."""

    workspace_id: UUID
    role: str
    base_url: str  # of the file links a payload may hold
    query: str
    operation_name: str | None
    variables: str  # canonical JSON


class Member:
    """One subscriber of a feed. Until its task calls `run` (while its own first state or
    replay is sent), what the feed publishes waits in its backlog; `run` sends that and
    the member goes live. Live, a payload is written the moment it is published, by the
    publishing task, in the member's protocol frame, when the socket takes it without
    waiting (`_write`: no task switch, nothing allocated that outlives the write). When the
    socket would block, that write finishes in a task of the member's own (`_drain`) and
    what comes meanwhile waits in the backlog. Past `max_queue` waiting payloads the member
    is dropped (`fail`); if its socket was blocked, the connection is aborted, since a
    socket that is not read can take no close frame. `skip` (set by its resolver once its
    first state or replay is sent) passes over what that already covered."""

    def __init__(self, feed: "Feed", frame: Callable[[str], str],
                 send: Callable[[str], Coroutine[Any, Any, None]],
                 abort: Callable[[], None]) -> None:
        self.feed = feed
        self._frame = frame
        self._send = send
        self._abort = abort
        self._backlog: deque[tuple[Any, str]] = deque()
        self._live = False
        self._draining: asyncio.Task[None] | None = None
        self._over = asyncio.Event()  # the feed ended, or this member was dropped
        self.skip: Callable[[Any], bool] | None = None
        self.error: str | None = None

    def deliver(self, key: Any, payload: str) -> None:
        if self._live and self._draining is None:
            if self.skip is None or not self.skip(key):
                self._write(self._frame(payload))
        elif len(self._backlog) >= self.feed.max_queue:
            self.fail(_too_slow(self.feed.max_queue))
            SUBSCRIBERS_DROPPED.inc()
        else:
            self._backlog.append((key, payload))

    def _write(self, frame: str) -> None:
        sending = self._send(frame)
        try:
            waiting = sending.send(None)
        except StopIteration:
            return
        except Exception:  # the connection is gone; its handler ends the operation
            self.leave()
            return
        self._draining = asyncio.create_task(self._drain(sending, waiting))

    async def _drain(self, sending: Coroutine[Any, Any, None], waiting: Any) -> None:
        try:
            await _finish(sending, waiting)
            while self._backlog:
                key, payload = self._backlog.popleft()
                if self.skip is None or not self.skip(key):
                    await self._send(self._frame(payload))
        except Exception:  # the connection is gone; its handler ends the operation
            self.leave()
        finally:
            self._draining = None

    def fail(self, error: str) -> None:
        """Drop this member: what it has not sent is discarded; its `run` raises `error`,
        or, if its socket is blocked, the connection is aborted."""
        self.error = error
        self._backlog.clear()
        self.leave()
        if self._draining is not None:
            self._draining.cancel()
            self._abort()  # the connection's handler then cancels the operation
        else:
            self._over.set()

    def leave(self) -> None:
        self.feed.leave(self)

    def end(self) -> None:
        """The feed has ended: send what is left, then finish."""
        self._over.set()

    async def run(self) -> None:
        """Send what waited, then what the feed delivers, until it ends; leave it when
        cancelled."""
        try:
            while self._backlog:
                key, payload = self._backlog.popleft()
                if self.skip is None or not self.skip(key):
                    await self._send(self._frame(payload))
            self._live = True
            await self._over.wait()
            if self._draining is not None:
                await asyncio.shield(self._draining)
            if self.error is not None:
                raise SubscriberTooSlow(self.error)
        finally:
            self.leave()
            if self._draining is not None:  # the client completed it: nothing more is sent
                self._draining.cancel()


async def _finish(coroutine: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Run the rest of `coroutine`, suspended on `waiting` (what it yielded to the event
    loop: a future, or None for a bare yield), in the calling task."""
    while True:
        try:
            if waiting is None:
                await asyncio.sleep(0)
            else:
                waiting._asyncio_future_blocking = False  # as a task takes it over
                await waiting
        except BaseException:
            coroutine.close()
            raise
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return


class Feed:
    """One execution per event for every member of a shape. Its runner (`Broker.join`)
    reads `events`, which listen from the moment the feed exists (so a member's own reads,
    made after it joined, miss nothing), sets `key` before each value it yields and calls
    `publish` with the value's serialised payload."""

    def __init__(self, broker: "Broker", shape: Shape) -> None:
        self.broker = broker
        self.shape = shape
        self.max_queue = broker.max_queue
        self.events = broker.subscribe(shape.workspace_id)
        self.members: set[Member] = set()
        self.key: Any = None
        self.task: asyncio.Task[None] | None = None

    def publish(self, payload: str) -> None:
        SHARED_PAYLOADS.inc()
        key = self.key
        for member in tuple(self.members):
            member.deliver(key, payload)

    def leave(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self.broker._close_feed(self)


Runner = Callable[[Feed], Awaitable[None]]


class Broker:
    def __init__(self, database: Database, dsn: str, *, max_queue: int = 1000) -> None:
        self.database = database
        self.dsn = dsn
        self.max_queue = max_queue
        self._subscribers: dict[UUID, set[Subscription]] = {}
        self._pending: asyncio.Queue[int] = asyncio.Queue()
        self._seen: deque[int] = deque(maxlen=REMEMBERED)
        self._seen_set: set[int] = set()
        self._last_id = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._observers: list[Callable[[EventRecord], None]] = []
        self._observed_topics: set[str] = set()
        self._caught_up = asyncio.Event()
        self._feeds: dict[Shape, Feed] = {}

    def observe(self, observer: Callable[[EventRecord], None], *, topics: set[str]) -> None:
        """Call `observer` with every event of these topics, of every workspace (process-internal
        use, such as waking the job workers)."""
        self._observers.append(observer)
        self._observed_topics |= topics

    # -- subscribers --------------------------------------------------------------------------

    def subscribe(self, workspace_id: UUID) -> Subscription:
        subscription = Subscription(self, workspace_id, self.max_queue)
        self._subscribers.setdefault(workspace_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        found = self._subscribers.get(subscription.workspace_id)
        if found is not None:
            found.discard(subscription)
            if not found:
                del self._subscribers[subscription.workspace_id]

    @property
    def subscriber_count(self) -> int:
        """Subscriptions of the API: each feed's members rather than the feed itself."""
        listening = sum(len(s) for s in self._subscribers.values())
        return listening + sum(len(feed.members) - 1 for feed in self._feeds.values())

    @property
    def feed_count(self) -> int:
        return len(self._feeds)

    # -- shared feeds -------------------------------------------------------------------------

    def join(self, shape: Shape, run: Runner, *, frame: Callable[[str], str],
             send: Callable[[str], Coroutine[Any, Any, None]],
             abort: Callable[[], None]) -> Member:
        """A new member of the shape's feed, started with `run` when it has none. The
        member receives what the feed publishes from now on, held until its `run`."""
        feed = self._feeds.get(shape)
        if feed is None:
            feed = self._feeds[shape] = Feed(self, shape)
            # A context of its own: nothing of the first member's operation leaks into it.
            feed.task = asyncio.create_task(self._run_feed(feed, run),
                                            context=contextvars.Context())
        member = Member(feed, frame, send, abort)
        feed.members.add(member)
        return member

    async def _run_feed(self, feed: Feed, run: Runner) -> None:
        try:
            await run(feed)
        except Exception:
            log.exception("a shared subscription failed; its subscribers are closed")
            for member in tuple(feed.members):
                member.fail("the subscription failed; subscribe again")
        finally:
            if self._feeds.get(feed.shape) is feed:
                del self._feeds[feed.shape]
            feed.events.close()
            for member in tuple(feed.members):
                member.end()

    def _close_feed(self, feed: Feed) -> None:
        if self._feeds.get(feed.shape) is feed:
            del self._feeds[feed.shape]
        feed.events.close()
        if feed.task is not None and asyncio.current_task() is not feed.task:
            feed.task.cancel()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        async with transaction(self.database, readonly=True) as tx:
            self._last_id = await latest_event_id(tx)
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._deliver())]

    async def stop(self) -> None:
        for feed in tuple(self._feeds.values()):
            self._close_feed(feed)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                connection = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("realtime listener cannot connect (%s); retrying", error)
                await asyncio.sleep(backoff)
                backoff = min(5.0, backoff * 2)
                continue
            except Exception:  # e.g. a DSN asyncpg refuses: loud, and retried like the rest
                log.exception("realtime listener cannot connect; retrying")
                await asyncio.sleep(backoff)
                backoff = min(5.0, backoff * 2)
                continue
            lost = asyncio.Event()
            try:
                connection.add_termination_listener(lambda _, lost=lost: lost.set())
                self._caught_up.clear()
                await connection.add_listener(EVENTS_CHANNEL, self._notified)
                backoff = 0.1
                await self._catch_up()
                # Notified events wait for the catch-up: subscribers see events in order.
                self._caught_up.set()
                self.connected.set()
                while not lost.is_set() and not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), 5.0)
                    if not lost.is_set():
                        # A dead peer does not always close the socket: probe it.
                        try:
                            await asyncio.wait_for(connection.execute("SELECT 1"), 5.0)
                        except (OSError, asyncpg.PostgresError, TimeoutError):
                            lost.set()
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("realtime listener lost its connection (%s)", error)
            except Exception:  # a bug must not end realtime for the process: start over
                log.exception("realtime listener failed; reconnecting")
                await asyncio.sleep(backoff)
                backoff = min(5.0, backoff * 2)
            finally:
                self.connected.clear()
                try:
                    await connection.close(timeout=1)
                except Exception:
                    log.exception("realtime listener could not close its connection")
            self.reconnects += 1

    def _notified(self, connection: object, pid: int, channel: str, payload: str) -> None:
        notice = parse_notice(payload)
        if notice is None:
            return
        workspace, event_ids, topic = notice
        # An event nobody here listens to is not read at all (most writes, on a busy API).
        if topic in self._observed_topics or self._subscribers.get(UUID(workspace)):
            for event_id in event_ids:
                self._pending.put_nowait(event_id)
        else:
            self._last_id = max(self._last_id, *event_ids)

    async def _catch_up(self) -> None:
        """Everything committed while not listening (and a window before, for late commits)."""
        after = max(0, self._last_id - CATCH_UP_WINDOW)
        while True:
            async with transaction(self.database, readonly=True) as tx:
                found = await events_since(tx, after, limit=500)
            self._dispatch(found)
            if len(found) < 500:
                return
            after = found[-1].id

    async def _deliver(self) -> None:
        while True:
            ids = [await self._pending.get()]
            await self._caught_up.wait()
            while not self._pending.empty() and len(ids) < 500:
                ids.append(self._pending.get_nowait())
            fresh = [i for i in ids if i not in self._seen_set]
            if not fresh:
                continue
            try:
                async with transaction(self.database, readonly=True) as tx:
                    found = await events_by_ids(tx, fresh)
            except Exception:
                log.exception("realtime could not read events; they come back on catch-up")
                continue
            self._dispatch(found)

    def _dispatch(self, found: list[EventRecord]) -> None:
        for event in found:
            if event.id in self._seen_set:
                continue
            if len(self._seen) == self._seen.maxlen:
                self._seen_set.discard(self._seen[0])
            self._seen.append(event.id)
            self._seen_set.add(event.id)
            self._last_id = max(self._last_id, event.id)
            subscriptions = self._subscribers.get(event.workspace_id)
            if subscriptions:
                for subscription in list(subscriptions):
                    subscription.push(event)
                FANOUT_LAG.observe(time.time() - event.created_at.timestamp())
            for observer in self._observers:
                observer(event)
