"""What an import did: counts per legacy table and every problem, with its legacy id.

Each unit (a library, a project) counts into a report of its own; the run merges it into the
whole when the unit's transaction commits, and counts the unit's rows as skipped, with one
`project_failed` problem, when it rolls back. So the report never counts what was undone.
"""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.legacy.rows import TABLES

FILES = "files"
"""Not a table: the files the rows' `image_key_url` name, each reference counted once."""

ROW_NAMES = (*(row.table for row in TABLES), FILES)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


class ProblemKind(StrEnum):
    """Why a legacy row was not imported as it stands (the row is named by its legacy id)."""

    ORPHAN = "orphan"  # its scene, project asset or branch is gone
    INHERITANCE_CYCLE = "inheritance_cycle"  # inherited_from_instance_id goes round
    UNKNOWN_ASSET_TYPE = "unknown_asset_type"
    DUPLICATE_INSTANCE = "duplicate_instance"  # a second instance of one (scene, asset) pair
    MISSING_FILE = "missing_file"
    MISSING_REFERENCE = "missing_reference"  # names a row that is gone or was not imported
    PARENT_SKIPPED = "parent_skipped"  # the row it belongs to was skipped
    INVALID_VALUE = "invalid_value"  # a value the graph refuses, imported corrected
    DELETED_HERE = "deleted_here"  # changed in legacy, but deleted in Asset Graph: left so
    LIBRARY_FAILED = "library_failed"  # the unit rolled back; its rows count as skipped
    PROJECT_FAILED = "project_failed"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    table: str
    legacy_id: str
    message: str


@dataclass
class TableCounts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class Report:
    tables: dict[str, TableCounts] = field(
        default_factory=lambda: {name: TableCounts() for name in ROW_NAMES})
    problems: list[Problem] = field(default_factory=list)

    def read(self, table: str, rows: int = 1) -> None:
        self.tables[table].read += rows

    def count(self, table: str, outcome: Outcome, rows: int = 1) -> None:
        counts = self.tables[table]
        setattr(counts, outcome.value, getattr(counts, outcome.value) + rows)

    def problem(self, kind: ProblemKind, table: str, legacy_id: UUID | str, message: str
                ) -> None:
        self.problems.append(Problem(kind, table, str(legacy_id), message))

    def skip(self, kind: ProblemKind, table: str, legacy_id: UUID | str, message: str) -> None:
        """The row is not imported, for this reason."""
        self.count(table, Outcome.SKIPPED)
        self.problem(kind, table, legacy_id, message)

    def merge(self, unit: "Report") -> None:
        for name, counts in unit.tables.items():
            mine = self.tables[name]
            for outcome in ("read", *(o.value for o in Outcome)):
                setattr(mine, outcome, getattr(mine, outcome) + getattr(counts, outcome))
        self.problems += unit.problems

    def fail(self, unit: "Report", kind: ProblemKind, table: str, legacy_id: UUID | str,
             error: str) -> None:
        """The unit rolled back: what it read counts as skipped, with one problem."""
        for name, counts in unit.tables.items():
            self.read(name, counts.read)
            self.count(name, Outcome.SKIPPED, counts.read)
        self.problem(kind, table, legacy_id, f"rolled back, nothing of it written: {error}")

    @property
    def rows_read(self) -> int:
        return sum(c.read for name, c in self.tables.items() if name != FILES)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {"tables": {name: asdict(c) for name, c in self.tables.items()},
                "problems": [{**asdict(p), "kind": p.kind.value} for p in self.problems],
                "rows_read": self.rows_read, "changed": self.changed}
