"""Development mode: a default workspace and an admin token, kept in `<data dir>/dev-token`;
the key of signed file URLs, kept in `<data dir>/file-url-secret`."""

import os
import secrets
from pathlib import Path

from domain.access import (
    Role,
    authenticate_token,
    create_token,
    create_workspace,
    get_workspace_by_slug,
)
from domain.db import Database, transaction

DEFAULT_SLUG = "default"


async def ensure_dev_token(database: Database, data_dir: Path) -> str:
    """The dev token on file if it still works, else a new admin token of the default workspace."""
    path = data_dir / "dev-token"
    if path.exists():
        token = path.read_text().strip()
        async with transaction(database) as tx:
            if await authenticate_token(tx, token):
                return token
    async with transaction(database) as tx:
        workspace = await get_workspace_by_slug(tx, DEFAULT_SLUG) or await create_workspace(
            tx, "Default", DEFAULT_SLUG
        )
    async with transaction(database, workspace_id=workspace.id, actor="assetgraph") as tx:
        _, secret = await create_token(tx, name="development", role=Role.ADMIN)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret


def announce_dev_token(token: str, data_dir: Path) -> None:
    print(f"Development token (also in {data_dir.resolve() / 'dev-token'}):\n  {token}",
          flush=True)


def ensure_file_url_secret(data_dir: Path) -> str:
    """The file URL secret on file, else a new one written there: signed URLs survive a
    restart. Written whole under a temporary name and linked into place, so processes starting
    together agree on one and never read half of it."""
    path = data_dir / "file-url-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".file-url-secret.{os.getpid()}.{secrets.token_hex(4)}"
        temporary.write_text(secrets.token_urlsafe(48) + "\n")
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: its secret is the one
        finally:
            temporary.unlink()
    return path.read_text().strip()
