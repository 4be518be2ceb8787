"""The queue's index in the order workers claim (`priority DESC, run_after, id`), so a claim
reads the first due rows of the index instead of sorting every queued job (issue 12).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_index("ix_jobs_queue", table_name="jobs")
    op.create_index("ix_jobs_queue", "jobs", [sa.text("priority DESC"), "run_after", "id"],
                    postgresql_where=sa.text("status = 'queued'"))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_index("ix_jobs_queue", table_name="jobs")
    op.create_index("ix_jobs_queue", "jobs", ["priority", "run_after"],
                    postgresql_where=sa.text("status = 'queued'"))
