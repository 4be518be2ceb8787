"""The compiled read path encodes ids and cursors in SQL exactly as `schema.inputs` does."""

from sqlalchemy import literal, select

from domain.db import transaction
from domain.reads.queries import _b64
from schema.inputs import _b64encode
from tests.conftest import SavepointDatabase

TEXTS = [
    "", "A", "As", "Asset:", "Asset:0193a8c4-5b7e-7c3d-9f10-2b6c7d8e9f00",
    "Collection:0193a8c4-5b7e-7c3d-9f10-2b6c7d8e9f00",  # 47 bytes: padding
    '[3,"0193a8c4-5b7e-7c3d-9f10-2b6c7d8e9f00","0193a8c4-5b7e-7c3d-9f10-2b6c7d8e9f01"]',
    "x" * 57, "x" * 58, "y" * 200,  # PostgreSQL breaks base64 lines after 76 characters
    "\u00ff\u00fe?>?>", "Schöne Grüße, 映画:1",  # bytes that encode to + and /, non-ASCII
]


async def test_sql_base64url_is_the_python_one_for_every_length_and_character(
    db: SavepointDatabase,
) -> None:
    # given texts around the padding and line-break lengths, and some that encode to + and /
    async with transaction(db) as tx:
        # when PostgreSQL encodes each
        encoded = [(await tx.execute(select(_b64(literal(t))))).scalar_one() for t in TEXTS]
    # then each is what the API encodes
    assert encoded == [_b64encode(t) for t in TEXTS]
    assert any("-" in e for e in encoded) and any("_" in e for e in encoded)
