"""Workspaces (the tenants) and their API tokens.

Tokens are random, shown once and stored as a SHA-256 hash: they carry 256 bits of entropy,
so a slow password hash would add latency to every request without adding safety.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import func, select, text

from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, not_found
from domain.ids import uuid7
from domain.rules import name_errors, raise_if
from domain.tables import api_tokens, workspaces

TOKEN_PREFIX = "agt_"


class Role(StrEnum):
    """What a token may do; the value is what `api_tokens.role` stores."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: "Role") -> bool:
        order = [Role.VIEWER, Role.EDITOR, Role.ADMIN]
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a workspace, a role and a name for the audit trail."""

    workspace_id: UUID
    role: Role
    actor: str


@dataclass(frozen=True)
class WorkspaceRecord:
    id: UUID
    name: str
    slug: str
    created_at: datetime


@dataclass(frozen=True)
class TokenRecord:
    workspace_id: UUID
    id: UUID
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def __post_init__(self) -> None:
        # Rows carry the stored string; the record carries the enum.
        object.__setattr__(self, "role", Role(self.role))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "workspace"


async def create_workspace(tx: Transaction, name: str, slug: str | None = None) -> WorkspaceRecord:
    raise_if(name_errors(name))
    slug = slug or slugify(name)
    taken = await tx.execute(select(workspaces.c.id).where(workspaces.c.slug == slug))
    if taken.first() is not None:
        raise DomainError.of(ErrorCode.CONFLICT, f"workspace slug {slug!r} is taken", "slug")
    row = (
        await tx.execute(
            workspaces.insert().values(id=uuid7(), name=name, slug=slug).returning(*workspaces.c)
        )
    ).one()
    return WorkspaceRecord(row.id, row.name, row.slug, row.created_at)


async def get_workspace(tx: Transaction, workspace_id: UUID) -> WorkspaceRecord | None:
    row = (
        await tx.execute(select(workspaces).where(workspaces.c.id == workspace_id))
    ).one_or_none()
    return WorkspaceRecord(row.id, row.name, row.slug, row.created_at) if row else None


async def get_workspace_by_slug(tx: Transaction, slug: str) -> WorkspaceRecord | None:
    row = (await tx.execute(select(workspaces).where(workspaces.c.slug == slug))).one_or_none()
    return WorkspaceRecord(row.id, row.name, row.slug, row.created_at) if row else None


async def create_token(
    tx: Transaction, *, name: str, role: Role
) -> tuple[TokenRecord, str]:
    """A new token of the transaction's workspace, and its secret (the only time it is seen)."""
    if await get_workspace(tx, tx.ws) is None:
        raise not_found("workspace", "workspace")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = (
        await tx.execute(
            api_tokens.insert()
            .values(
                workspace_id=tx.ws,
                id=uuid7(),
                name=name,
                role=role.value,
                token_hash=hash_token(secret),
                prefix=secret[:12],
            )
            .returning(*api_tokens.c)
        )
    ).one()
    return _token(row), secret


def _token(row: object) -> TokenRecord:
    return TokenRecord(**{f: getattr(row, f) for f in TokenRecord.__dataclass_fields__})


async def list_tokens(tx: Transaction) -> list[TokenRecord]:
    rows = await tx.execute(
        select(api_tokens)
        .where(api_tokens.c.workspace_id == tx.ws)
        .order_by(api_tokens.c.created_at, api_tokens.c.id)
    )
    return [_token(row) for row in rows]


async def revoke_token(tx: Transaction, token_id: UUID) -> TokenRecord:
    row = (
        await tx.execute(
            api_tokens.update()
            .where(api_tokens.c.workspace_id == tx.ws, api_tokens.c.id == token_id)
            .values(revoked_at=func.coalesce(api_tokens.c.revoked_at, func.now()))
            .returning(*api_tokens.c)
        )
    ).one_or_none()
    if row is None:
        raise not_found("token")
    return _token(row)


async def authenticate_token(tx: Transaction, token: str) -> Principal | None:
    """The principal of a live token; notes its use at most once a minute, in one statement."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        await tx.execute(
            text(
                """
                WITH found AS (
                    SELECT workspace_id, id, role, last_used_at FROM api_tokens
                    WHERE token_hash = :hash AND revoked_at IS NULL
                ), touched AS (
                    UPDATE api_tokens t SET last_used_at = now() FROM found
                    WHERE t.workspace_id = found.workspace_id AND t.id = found.id
                      AND (found.last_used_at IS NULL
                           OR found.last_used_at < now() - interval '1 minute')
                )
                SELECT workspace_id, id, role FROM found
                """
            ),
            {"hash": hash_token(token)},
        )
    ).one_or_none()
    if row is None:
        return None
    return Principal(workspace_id=row.workspace_id, role=Role(row.role), actor=f"token:{row.id}")
