"""Schemathesis over the published schema (issue 9, item 10): every query, mutation and
subscription field, with arguments generated from `schema.graphql`, against a real `serve`
process in production mode. No answer may be a 5xx, and every error about a field must carry
a code (`extensions.code`).

Errors about the document itself (graphql's validation, which has no `path`) are allowed: a
generated document may pass the depth limit. Bounded: a few examples per field.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from domain.db import EngineDatabase
from tests.conftest import make_workspace
from tests.e2e.processes import environment, serve

SCHEMA = schemathesis.graphql.from_file((Path(__file__).parents[2] / "schema.graphql").read_text())
# A file travels as a part of a multipart request, never inline: any inline value is refused.
schemathesis.graphql.scalar("Upload", st.text(max_size=20).map(
    lambda text: graphql.StringValueNode(value=text)))


@dataclass(frozen=True)
class Served:
    url: str
    token: str


@pytest.fixture(scope="module")
async def workspace_token(engine: Any) -> str:
    tokens = await make_workspace(EngineDatabase(engine), "Schemathesis")
    return tokens.editor


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, database_url: str,
           workspace_token: str) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    env = environment(ASSETGRAPH_DATABASE_URL=database_url, ASSETGRAPH_ENV="production",
                      ASSETGRAPH_WORKERS="0", ASSETGRAPH_DATA_DIR=str(tmp / "data"),
                      ASSETGRAPH_RATE_LIMIT_PER_MINUTE="0", ASSETGRAPH_COST_LIMIT_PER_MINUTE="0")
    with serve(tmp, "serve", env) as url:
        yield Served(url, workspace_token)


def untyped(body: Any) -> list[Any]:
    """The errors about a field (with a `path`) that carry no `extensions.code`."""
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors or () if isinstance(e, dict) and e.get("path")
            and not (e.get("extensions") or {}).get("code")]


@SCHEMA.parametrize()
@settings(max_examples=60, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_field_answers_a_5xx_or_an_untyped_error(case: Any, served: Served) -> None:
    response = case.call(base_url=f"{served.url}/graphql",
                         headers={"Authorization": f"Bearer {served.token}"})
    assert response.status_code < 500, response.text
    assert untyped(response.json()) == [], response.text
