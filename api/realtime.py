"""Realtime fan-out: ONE listening connection per process, bounded queues per subscriber.

Writers NOTIFY `<workspace>:<event id>` at commit (`domain.events.record_event`). The
listener collects ids, reads the events in batches, and hands each to the subscribers of its
workspace. A subscriber whose queue is full is closed with an error rather than allowed to
grow memory (and counted: `assetgraph_subscribers_dropped_total`). When the connection drops
(a database restart), the listener reconnects and catches up from the last id it saw,
re-reading a window before it (ids are taken before commit, so they can commit out of order)
and skipping what it already delivered. Anything else that fails is logged and started over.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from uuid import UUID

import asyncpg

from api.metrics import FANOUT_LAG, SUBSCRIBERS_DROPPED
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


class SubscriberTooSlow(Exception):
    pass


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
            self.error = f"subscriber fell {self.max_queue} events behind; resume from a cursor"
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
        return sum(len(s) for s in self._subscribers.values())

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        async with transaction(self.database, readonly=True) as tx:
            self._last_id = await latest_event_id(tx)
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._deliver())]

    async def stop(self) -> None:
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
