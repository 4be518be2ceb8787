"""Identifiers: UUIDv7 made in one process sort in the order they were made."""

import time
from uuid import UUID

from domain.ids import uuid7, uuid7s


def test_ids_made_in_one_millisecond_still_sort_in_order() -> None:
    # when many ids are made back to back (many per millisecond)
    made = [uuid7() for _ in range(20_000)]
    # then they are distinct, version 7 with the RFC variant, and already sorted
    assert len(set(made)) == len(made)
    assert made == sorted(made)
    assert {(u.version, u.variant) for u in made} == {(7, "specified in RFC 4122")}
    assert isinstance(made[0], UUID)


def test_batches_continue_where_the_last_id_left_off() -> None:
    # when batches of ids are made back to back, one id between them
    first, one, second = uuid7s(5_000), uuid7(), uuid7s(5_000)
    made = [*first, one, *second]
    # then every id is new, version 7 with the RFC variant, and they sort as they were made
    assert len(set(made)) == 10_001
    assert made == sorted(made)
    assert {(u.version, u.variant) for u in made} == {(7, "specified in RFC 4122")}
    # and their first 48 bits are the time they were made, in Unix milliseconds
    assert abs((made[0].int >> 80) - time.time_ns() // 1_000_000) < 60_000
