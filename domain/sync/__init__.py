"""Derived state on the graph: clone, overrides, sync, revert, promote (DESIGN §4).

An asset has at most one sync source: the `derived_from` (clone, promote) or `variant_of`
(scene instance) edge whose metadata holds `source_version`, `synced_at`, `overridden_fields`
and `base` (the source's values at the last sync, for three-way comparison).
"""
