"""Who is calling: `Authorization: Bearer <token>` with an API token or an HS256 JWT.

Authentication runs in its own short transaction before the request's one, because a query's
transaction is read-only and noting a token's use is a write.
"""

from dataclasses import dataclass
from uuid import UUID

import jwt

from domain.access import Principal, Role, authenticate_token, get_workspace
from domain.db import Database, transaction


@dataclass(frozen=True)
class AuthResult:
    principal: Principal | None
    problem: str | None = None


MISSING = AuthResult(None, "missing credentials: send Authorization: Bearer <token>")
INVALID = AuthResult(None, "invalid, expired or revoked token")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(
    database: Database, authorization: str | None, *, jwt_secret: str | None
) -> AuthResult:
    token = bearer_token(authorization)
    if token is None:
        return MISSING
    if token.count(".") == 2:
        return await _authenticate_jwt(database, token, jwt_secret)
    async with transaction(database) as tx:
        principal = await authenticate_token(tx, token)
    return AuthResult(principal) if principal else INVALID


async def _authenticate_jwt(database: Database, token: str, secret: str | None) -> AuthResult:
    if secret is None:
        return AuthResult(None, "JWTs are not accepted: no ASSETGRAPH_JWT_SECRET is configured")
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "workspace_id"]}
        )
        workspace_id = UUID(str(claims["workspace_id"]))
        role = Role(claims.get("role", "viewer"))
    except (jwt.InvalidTokenError, ValueError):
        return INVALID
    async with transaction(database, readonly=True) as tx:
        workspace = await get_workspace(tx, workspace_id)
    if workspace is None:
        return INVALID
    return AuthResult(Principal(workspace_id=workspace_id, role=role, actor=f"jwt:{claims['sub']}"))
