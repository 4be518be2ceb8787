"""The asset graph: tables, SQL queries, pure rules, use cases and errors.

Nothing here imports `schema` or `api`. Domain functions take a `domain.db.Transaction` and never
commit: the caller (one GraphQL request, one CLI command) owns the transaction.
"""
