"""GraphiQL in a real headless Chromium against a real `assetgraph serve` (issue 8).

The page must work offline: every request it makes stays on loopback. Skipped when the system
has no `chromium` (`.ci/run` installs Debian's package when it runs as root).
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.e2e.chromium import CHROMIUM, Page, page
from tests.e2e.processes import environment, serve

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: install it (apt-get install chromium) to "
                             "test GraphiQL in a browser")

QUERY_EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
RESULT = "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
EXECUTE = "document.querySelector('.graphiql-execute-button').click()"
CREATE = 'mutation { createAsset(input: {type: "image", name: "Rain"}) { errors { code } } }'


class Served:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def post(self, query: str) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/graphql", json={"query": query},
                              headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    data = tmp_path / "data"
    with serve(tmp_path, "serve", environment(ASSETGRAPH_DATA_DIR=str(data))) as url:
        yield Served(url, (data / "dev-token").read_text().strip())


@pytest.fixture
def tab(tmp_path: Path) -> Iterator[Page]:
    with page(tmp_path / "profile") as opened:
        yield opened


def result(tab: Page) -> Any:
    text = tab.wait_for(RESULT)
    return json.loads(text)


def open_graphiql(tab: Page, served: Served, query: str) -> None:
    tab.open(f"{served.url}/graphql?query={quote(query)}")
    tab.wait_for("document.querySelector('.graphiql-execute-button') !== null", within=15)


def test_graphiql_runs_queries_and_subscriptions_offline(served: Served, tab: Page) -> None:
    # given a link that carries a query
    open_graphiql(tab, served, "{ viewer { role } }")
    # then the editor holds it, and the headers hold the dev token, kept out of localStorage
    assert tab.evaluate(f"{QUERY_EDITOR}.getValue()") == "{ viewer { role } }"
    assert served.token not in tab.evaluate("JSON.stringify(localStorage)")

    # when it runs, its result shows
    tab.evaluate(EXECUTE)
    assert result(tab) == {"data": {"viewer": {"role": "admin"}}, "extensions": {"cost": 1}}

    # when the query is edited, the address follows
    tab.evaluate(f"{QUERY_EDITOR}.setValue('{{ viewer {{ workspace {{ name }} }} }}')")
    tab.wait_for("new URLSearchParams(location.search).get('query') === "
                 "'{ viewer { workspace { name } } }'")

    # given a subscription to the workspace's events, running
    open_graphiql(tab, served, "subscription { events { topic } }")
    tab.evaluate(EXECUTE)
    # when an asset is created over HTTP (again until the subscription is listening)
    deadline = time.monotonic() + 15
    while not tab.evaluate(f"{RESULT}.includes('asset.created')"):
        assert time.monotonic() < deadline, tab.console_errors
        assert served.post(CREATE) == {"data": {"createAsset": {"errors": []}},
                                       "extensions": {"cost": 2}}
        time.sleep(0.5)
    # then the page shows the event
    assert result(tab) == {"data": {"events": {"topic": "asset.created"}},
                           "extensions": {"cost": 1}}

    # when the Explorer is opened, it shows the operation among the schema's subscriptions
    tab.evaluate("document.querySelector('[aria-label=\"Show GraphiQL Explorer\"]').click()")
    explorer = tab.wait_for("document.querySelector('.graphiql-explorer-root')?.innerText")
    assert explorer.split("\n")[:3] == ["subscription ", "events", "after:"]
    assert "jobUpdated" in explorer

    # and nothing the page asked for left this machine
    origin = urlsplit(served.url).netloc
    assert [u for u in tab.requested if urlsplit(u).netloc != origin
            and not u.startswith("data:")] == []
    assert any(u.startswith(f"ws://{origin}/graphql") for u in tab.requested)
