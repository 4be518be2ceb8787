"""The process: Starlette app, settings, authentication, CLI, embedded PostgreSQL."""
