"""Row-level security: a second wall behind the workspace filter of every query.

Every workspace table forces row-level security. The role `assetgraph_app` (no login) sees and
writes only the rows of the workspace in `app.workspace_id`; a transaction bound to a
workspace takes that role (`domain.db.SET_LOCALS`), as does every single-statement read of the
compiled path. The role that ran this migration (the application's login, which owns the
tables) keeps a policy over all rows: the claim, the reaper, authentication by token and the
garbage collector work across workspaces with it.

Creating the role needs CREATEROLE (the embedded server's superuser has it); an operator whose
migration user lacks it creates `assetgraph_app` beforehand and grants it to that user.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "assetgraph_app"
# Each workspace table, and the column holding its workspace.
TABLES = {
    "workspaces": "id",
    "api_tokens": "workspace_id",
    "assets": "workspace_id",
    "asset_relationships": "workspace_id",
    "asset_collections": "workspace_id",
    "asset_collection_members": "workspace_id",
    "events": "workspace_id",
    "blobs": "workspace_id",
    "jobs": "workspace_id",
}
# A scalar subquery, so PostgreSQL computes it once per statement (an InitPlan), not once per
# row: the bare expression in a policy costs a function call and a cast on every row read.
CURRENT = "(SELECT nullif(current_setting('app.workspace_id', true), '')::uuid)"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN;
            END IF;
        END $$""")
    # A login that is not a superuser may switch to the role only as a member of it.
    op.execute(f"""
        DO $$ BEGIN
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
            END IF;
        END $$""")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TABLES)} TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    for table, column in TABLES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY workspace_rows ON {table} TO {APP_ROLE} "
                   f"USING ({column} = {CURRENT}) WITH CHECK ({column} = {CURRENT})")
        op.execute(f"CREATE POLICY all_rows ON {table} TO current_user USING (true) "
                   "WITH CHECK (true)")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP POLICY all_rows ON {table}")
        op.execute(f"DROP POLICY workspace_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON {', '.join(TABLES)} FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
