"""Query counts are exact: nested lists cost the same number of statements at any size."""

from tests.conftest import (
    GraphQLClient,
    SavepointDatabase,
    StatementCounter,
    WorkspaceTokens,
    dev_settings,
    http_client,
)
from tests.helpers import add_to_collection, create_asset, create_collection, link

NESTED = """query ($id: ID!) { collection(id: $id) {
  assets(types: ["film"], first: 20) { edges { node {
  name
  children(types: [PART_OF], first: 50) { totalCount edges { node { sequence child {
    name
    parents(first: 5) { totalCount edges { node { type parent { name } } } }
    lineage(direction: UPSTREAM, maxDepth: 5, first: 10) {
      isPartial steps { depth asset { name } } }
  } } } }
} } } } }"""


async def _films(gql: GraphQLClient, films: int, scenes: int) -> str:
    project = await create_collection(gql, f"{films}x{scenes}")
    for f in range(films):
        film = await create_asset(gql, f"Film {f}", "film")
        await add_to_collection(gql, project, film)
        for s in range(scenes):
            await link(gql, film, await create_asset(gql, f"Scene {f}.{s}", "scene"),
                       sequence=s + 1)
    return project


async def _count(gql: GraphQLClient, counter: StatementCounter, project: str
                 ) -> tuple[int, int]:
    with counter.counting() as statements:
        body = await gql(NESTED, {"id": project})
    edges = body["data"]["collection"]["assets"]["edges"]
    scenes = sum(len(e["node"]["children"]["edges"]) for e in edges)
    return len(statements), scenes


async def test_nested_films_scenes_parents_lineage_cost_a_fixed_count(
    gql: GraphQLClient, statement_counter: StatementCounter
) -> None:
    # given 5 films of 5 scenes, and 20 films of 20 scenes
    small = await _films(gql, 5, 5)
    large = await _films(gql, 20, 20)
    # when the nested query runs over each
    small_count, small_scenes = await _count(gql, statement_counter, small)
    large_count, large_scenes = await _count(gql, statement_counter, large)
    # then both ran the same, pinned number of statements: the one compiled statement that
    # builds the whole response (and is the request's whole transaction)
    assert (small_scenes, large_scenes) == (25, 400)
    assert small_count == large_count == 1


async def test_the_resolver_path_costs_a_fixed_count_too(
    db: SavepointDatabase, workspace: WorkspaceTokens, statement_counter: StatementCounter
) -> None:
    # given a server whose compiled read path is switched off, and 5x5 and 20x20 films
    async with http_client(db, dev_settings(compiled_reads=False)) as http:
        gql = GraphQLClient(http, workspace.editor)
        small = await _films(gql, 5, 5)
        large = await _films(gql, 20, 20)
        # when the nested query runs over each
        small_count, small_scenes = await _count(gql, statement_counter, small)
        large_count, large_scenes = await _count(gql, statement_counter, large)
    # then the resolvers ran a fixed count: set_config, collection, members, children, their
    # assets, parents, their assets, lineage
    assert (small_scenes, large_scenes) == (25, 400)
    assert small_count == large_count == 8


async def test_single_object_mutations_cost_a_fixed_count(
    gql: GraphQLClient, statement_counter: StatementCounter
) -> None:
    # given two assets
    parent = await create_asset(gql, "Parent", "film")
    child = await create_asset(gql, "Child", "scene")
    mutations = {
        "create": ('mutation { createAsset(input: {type: "prop", name: "P"}) '
                   "{ asset { id } errors { code } } }", {}),
        "update": ('mutation ($id: ID!) { updateAsset(input: {id: $id, name: "Renamed"}) '
                   "{ asset { version } errors { code } } }", {"id": child}),
        "link": ("mutation ($p: ID!, $c: ID!) { linkAssets(input: {parentId: $p, childId: $c, "
                 "type: PART_OF}) { relationship { sequence } errors { code } } }",
                 {"p": parent, "c": child}),
    }
    counts = {}
    for name, (query, variables) in mutations.items():
        # when each runs
        with statement_counter.counting() as statements:
            body = await gql(query, variables)
        payload = next(iter(body["data"].values()))
        assert payload["errors"] == []
        counts[name] = len(statements)
    # then set_config and: the insert with its event; the locked read, the update with its
    # event, and the sync source look-up; the graph lock, one check (both assets, an existing
    # edge, a cycle, the next sequence), and the insert with its event
    assert counts == {"create": 2, "update": 4, "link": 4}
