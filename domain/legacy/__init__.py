"""The import of the legacy studio app's data (`assetgraph import-legacy`, issue 13).

`source` reads the legacy tables (one snapshot, unit by unit); `mapping` holds the pure rules;
`library` and `projects` (with `project_assets`, `instances`, `jobs`) write one unit each
through the domain's use cases in the caller's transaction; `report` counts what happened.
docs/decisions.md ("Legacy import") says how each legacy table maps onto the graph.
"""
