"""Who is calling: `Authorization: Bearer <token>` with an API token or an HS256 JWT.

Credentials come from a small per-process cache, so a request costs no look-up of its own:
an answer (a principal, or "no such token") is kept for `ttl` seconds, which bounds how long a
token revoked by another process keeps working (`ASSETGRAPH_AUTH_CACHE_SECONDS`, default 5).
A token's `last_used_at` is noted off the request's path: uses are collected in memory and
written by `record_uses` at most once a minute per token.
"""

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from uuid import UUID

import jwt

from domain.access import Principal, Role, authenticate_token, get_workspace, note_token_use
from domain.db import Database, transaction


@dataclass(frozen=True)
class AuthResult:
    principal: Principal | None
    problem: str | None = None


MISSING = AuthResult(None, "missing credentials: send Authorization: Bearer <token>")
INVALID = AuthResult(None, "invalid, expired or revoked token")
USE_INTERVAL = 60.0
log = logging.getLogger("assetgraph.auth")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class Authenticator:
    """The per-process cache of credentials; the database to look them up in comes with each
    call (from the lifespan's state)."""

    def __init__(self, *, jwt_secret: str | None, ttl: float = 5.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.jwt_secret = jwt_secret
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._cache: OrderedDict[str, tuple[float, AuthResult]] = OrderedDict()
        self._uses: dict[tuple[UUID, UUID], None] = {}
        self._noted: dict[str, float] = {}  # by actor

    async def authenticate(self, database: Database, authorization: str | None
                           ) -> AuthResult:
        token = bearer_token(authorization)
        if token is None:
            return MISSING
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self.clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            result = cached[1]
        else:
            result = await self._look_up(database, token)
            self._cache[key] = (now + self.ttl, result)
            self._cache.move_to_end(key)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        self._note_use(result.principal, now)
        return result

    def forget(self) -> None:
        """Drop every cached answer (after this process revoked a token)."""
        self._cache.clear()

    async def _look_up(self, database: Database, token: str) -> AuthResult:
        if token.count(".") == 2:
            return await self._look_up_jwt(database, token)
        async with transaction(database, readonly=True) as tx:
            principal = await authenticate_token(tx, token)
        return AuthResult(principal) if principal else INVALID

    async def _look_up_jwt(self, database: Database, token: str) -> AuthResult:
        if self.jwt_secret is None:
            return AuthResult(None,
                              "JWTs are not accepted: no ASSETGRAPH_JWT_SECRET is configured")
        try:
            claims = jwt.decode(token, self.jwt_secret, algorithms=["HS256"],
                                options={"require": ["sub", "workspace_id"]})
            workspace_id = UUID(str(claims["workspace_id"]))
            role = Role(claims.get("role", "viewer"))
        except (jwt.InvalidTokenError, ValueError):
            return INVALID
        async with transaction(database, readonly=True) as tx:
            workspace = await get_workspace(tx, workspace_id)
        if workspace is None:
            return INVALID
        return AuthResult(Principal(workspace_id=workspace_id, role=role,
                                    actor=f"jwt:{claims['sub']}"))

    def _note_use(self, principal: Principal | None, now: float) -> None:
        if principal is None or not principal.actor.startswith("token:"):
            return
        if now - self._noted.get(principal.actor, -USE_INTERVAL) >= USE_INTERVAL:
            self._noted[principal.actor] = now
            token_id = UUID(principal.actor.removeprefix("token:"))
            self._uses[(principal.workspace_id, token_id)] = None

    async def record_uses(self, database: Database) -> None:
        """Write the uses collected since the last call, in one statement."""
        uses, self._uses = list(self._uses), {}
        if uses:
            async with transaction(database) as tx:
                await note_token_use(tx, uses)

    @asynccontextmanager
    async def recording(self, database: Database, interval: float = USE_INTERVAL
                        ) -> AsyncIterator[None]:
        """Record token uses every `interval` seconds while the server runs, and at the end."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.record_uses(database)
                except Exception:  # the next round writes later uses; these are only hints
                    log.exception("could not note token uses")

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            try:
                await self.record_uses(database)
            except Exception:
                log.exception("could not note token uses")
