"""Workspaces (the tenants) and their API tokens.

Tokens are random, shown once and stored as a SHA-256 hash: they carry 256 bits of entropy,
so a slow password hash would add latency to every request without adding safety.
"""

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from sqlalchemy import func, select, text

from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, not_found
from domain.ids import uuid7
from domain.records import TokenRecord, WorkspaceRecord
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
    return WorkspaceRecord.from_row(row)


async def get_workspace(tx: Transaction, workspace_id: UUID) -> WorkspaceRecord | None:
    row = (
        await tx.execute(select(workspaces).where(workspaces.c.id == workspace_id))
    ).one_or_none()
    return WorkspaceRecord.from_row(row) if row else None


async def get_workspace_by_slug(tx: Transaction, slug: str) -> WorkspaceRecord | None:
    row = (await tx.execute(select(workspaces).where(workspaces.c.slug == slug))).one_or_none()
    return WorkspaceRecord.from_row(row) if row else None


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
    return TokenRecord.from_row(row), secret


async def list_tokens(tx: Transaction) -> list[TokenRecord]:
    rows = await tx.execute(
        select(api_tokens)
        .where(api_tokens.c.workspace_id == tx.ws)
        .order_by(api_tokens.c.created_at, api_tokens.c.id)
    )
    return [TokenRecord.from_row(row) for row in rows]


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
    return TokenRecord.from_row(row)


async def authenticate_token(tx: Transaction, token: str) -> Principal | None:
    """The principal of a live token (a read: noting its use is `note_token_use`)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        await tx.execute(
            select(api_tokens.c.workspace_id, api_tokens.c.id, api_tokens.c.role).where(
                api_tokens.c.token_hash == hash_token(token), api_tokens.c.revoked_at.is_(None)
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return Principal(workspace_id=row.workspace_id, role=Role(row.role), actor=f"token:{row.id}")


async def note_token_use(tx: Transaction, uses: Sequence[tuple[UUID, UUID]]) -> None:
    """Set `last_used_at` of `(workspace id, token id)` pairs, unless noted within a minute."""
    if not uses:
        return
    await tx.execute(
        text(
            """
            UPDATE api_tokens t SET last_used_at = now()
            FROM unnest(CAST(:workspaces AS uuid[]), CAST(:ids AS uuid[])) AS u(workspace_id, id)
            WHERE t.workspace_id = u.workspace_id AND t.id = u.id
              AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
            """
        ),
        {"workspaces": [w for w, _ in uses], "ids": [i for _, i in uses]},
    )
