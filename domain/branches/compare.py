"""How one branch differs from another, asset by asset (`compareBranches`).

One statement reads both projects' live contents, each asset with the start of its chain of
fork provenance; pairing and field differences are the pure rules of `domain.branches.rules`.
Each list is cut at `limit` entries and reports its whole length, so a comparison costs the
same statements however large the projects are.
"""

from dataclasses import dataclass
from uuid import UUID

from domain.branches.queries import rooted_contents
from domain.branches.rules import FieldChange, field_changes, pair_assets
from domain.db import Transaction
from domain.records import AssetRecord

COMPARE_LIMIT = 100


@dataclass(frozen=True)
class ChangedAsset:
    base: AssetRecord
    other: AssetRecord
    fields: list[FieldChange]


@dataclass(frozen=True)
class Comparison:
    added: list[AssetRecord]  # in `other` only, oldest first
    removed: list[AssetRecord]  # in `base` only, oldest first
    changed: list[ChangedAsset]  # paired and different, by the base asset, oldest first
    added_count: int
    removed_count: int
    changed_count: int


async def compare_branches(tx: Transaction, base_id: UUID, other_id: UUID, *,
                           limit: int = COMPARE_LIMIT) -> Comparison:
    """What `other` holds that `base` does not, the reverse, and the paired assets whose
    compared fields differ (each list cut at `limit`)."""
    found = await rooted_contents(tx, [base_id, other_id])
    pairing = pair_assets(found[base_id], found[other_id])
    changed = [ChangedAsset(base, other, fields) for base, other in pairing.pairs
               if (fields := field_changes(base, other))]
    return Comparison(
        added=pairing.added[:limit], removed=pairing.removed[:limit], changed=changed[:limit],
        added_count=len(pairing.added), removed_count=len(pairing.removed),
        changed_count=len(changed))
