"""The request transaction's stages: open, choose the mode, finish or abandon, after commit."""

from collections.abc import Callable

import pytest
from sqlalchemy import text

from domain.db import EngineDatabase, RequestTransaction, Transaction
from tests.conftest import make_workspace

READ_ONLY = text("SELECT current_setting('transaction_read_only')")


@pytest.fixture
async def open_request(committed_database: EngineDatabase
                       ) -> Callable[[], RequestTransaction]:
    workspace = await make_workspace(committed_database, "Stages")
    return lambda: RequestTransaction.open(committed_database, workspace_id=workspace.id,
                                           actor="test", statement_timeout_ms=1000)


async def test_a_query_reads_and_a_mutation_writes(
    open_request: Callable[[], RequestTransaction],
) -> None:
    modes = []
    for writes in (False, True):
        request = open_request()
        request.choose_mode(writes=writes)
        modes.append((await request.tx.execute(READ_ONLY)).scalar_one())
        await request.abandon()
    assert modes == ["on", "off"]


async def test_the_mode_cannot_change_after_the_first_statement(
    open_request: Callable[[], RequestTransaction],
) -> None:
    # given a transaction that has read under the default, read-only mode
    request = open_request()
    await request.tx.execute(READ_ONLY)
    # when a mutation asks to write, then it is refused; asking to read again is fine
    with pytest.raises(RuntimeError, match="fixed by its first statement"):
        request.choose_mode(writes=True)
    request.choose_mode(writes=False)
    await request.abandon()


async def test_after_commit_actions_run_only_once_data_is_committed(
    open_request: Callable[[], RequestTransaction],
) -> None:
    ran: list[tuple[str, bool]] = []
    for data in (None, {"ok": True}):
        # given a mutation's transaction with an action to run after its commit
        request = open_request()
        request.choose_mode(writes=True)
        await request.tx.execute(text("SELECT 1"))

        async def note(tx: Transaction, request: RequestTransaction = request,
                       data: object = data) -> None:
            ran.append((str(data), tx is not request.tx))

        request.tx.after_commit(note)
        # when the response's data is null (rolled back), then present (committed)
        await request.finish(data)
        await request.abandon()  # what the view's `finally` does: nothing left to end
    # then only the committed one ran its action, in a transaction of its own
    assert ran == [("{'ok': True}", True)]
