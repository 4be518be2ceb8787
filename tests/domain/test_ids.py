"""Identifiers: UUIDv7 made in one process sort in the order they were made."""

from uuid import UUID

from domain.ids import uuid7


def test_ids_made_in_one_millisecond_still_sort_in_order() -> None:
    # when many ids are made back to back (many per millisecond)
    made = [uuid7() for _ in range(20_000)]
    # then they are distinct, version 7 with the RFC variant, and already sorted
    assert len(set(made)) == len(made)
    assert made == sorted(made)
    assert {(u.version, u.variant) for u in made} == {(7, "specified in RFC 4122")}
    assert isinstance(made[0], UUID)
