"""Pure rules of branches: the fork provenance mark, pairing two branches' assets, and how a
pair differs.

A fork's copy is DERIVED_FROM its original through an edge whose metadata holds `FORK_MARK`
and no sync state: provenance only, never a sync source. Differences are named as
`domain.sync.rules.snapshot` names fields (name, description, generation_prompt, url, file,
tags, metadata.<key>), so a comparison speaks as overrides and sync do.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.graph.vocabulary import RelationshipType
from domain.records import AssetRecord
from domain.sync.rules import snapshot

FORK_MARK = "forked_from"


def fork_provenance() -> dict[str, Any]:
    """The metadata of the edge from a fork's copy to its original."""
    return {FORK_MARK: True}


@dataclass(frozen=True)
class FieldChange:
    field: str
    base_value: Any
    other_value: Any


def field_changes(base: AssetRecord, other: AssetRecord) -> list[FieldChange]:
    """The fields whose values differ: the plain ones in snapshot order, then metadata keys by
    name (a key only one side has is null on the other). A scene instance's `tags` are its
    status tags; its `carry_forward` flag is not compared."""
    # The DERIVED_FROM view holds `tags` for every asset (a VARIANT_OF view leaves them out).
    base_values = snapshot(base, RelationshipType.DERIVED_FROM)
    other_values = snapshot(other, RelationshipType.DERIVED_FROM)
    plain = [f for f in base_values if not f.startswith("metadata.")]
    keys = sorted({f for f in (*base_values, *other_values) if f.startswith("metadata.")})
    missing = object()
    return [FieldChange(f, base_values.get(f), other_values.get(f)) for f in plain + keys
            if base_values.get(f, missing) != other_values.get(f, missing)]


@dataclass(frozen=True)
class Rooted:
    """A live asset of a branch, and the asset its chain of fork provenance starts from
    (itself when it is no fork's copy)."""

    asset: AssetRecord
    root: UUID


@dataclass(frozen=True)
class Pairing:
    added: list[AssetRecord]
    removed: list[AssetRecord]
    pairs: list[tuple[AssetRecord, AssetRecord]]


def pair_assets(base: Sequence[Rooted], other: Sequence[Rooted]) -> Pairing:
    """Assets pair when their fork provenance starts from the same asset: one is a fork's copy
    of the other (either way, at any depth), or both are copies of one original. Should a
    side hold several of one root, its first (in the given order) pairs and the rest stand
    alone. Every list keeps the given order (base's for pairs)."""
    first_other: dict[UUID, AssetRecord] = {}
    for found in other:
        first_other.setdefault(found.root, found.asset)
    paired_roots: set[UUID] = set()
    removed, pairs = [], []
    for found in base:
        partner = first_other.get(found.root)
        if partner is None or found.root in paired_roots:
            removed.append(found.asset)
        else:
            paired_roots.add(found.root)
            pairs.append((found.asset, partner))
    paired_others = {partner.id for _, partner in pairs}
    added = [found.asset for found in other if found.asset.id not in paired_others]
    return Pairing(added=added, removed=removed, pairs=pairs)
