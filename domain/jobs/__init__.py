"""Generation jobs: a durable queue in PostgreSQL (DESIGN §6).

QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED; a transient failure goes back to QUEUED
with `run_after` backed off until `max_attempts`. Workers claim with `FOR UPDATE SKIP LOCKED`
in short transactions and hold a lease renewed by heartbeat; never a transaction while a
provider runs.
"""
