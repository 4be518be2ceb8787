"""sync, canDelete and lineage over a scene's instances cost a fixed number of statements."""

from tests.conftest import GraphQLClient, StatementCounter
from tests.helpers import add_to_collection, create_asset, create_collection, link

INHERIT = """mutation ($input: InheritSceneAssetsInput!) { inheritSceneAssets(input: $input) {
  count errors { code } } }"""
SCENE = """query ($id: ID!) { asset(id: $id) { instancesConnection { edges { node {
  name carryForward
  sync { outdated overriddenFields conflicts { field } source { name } }
  canDelete { allowed dependentCount }
  lineage(direction: UPSTREAM, types: [DERIVED_FROM, VARIANT_OF]) { steps { depth } }
} } } } }"""


async def _scene_with(gql: GraphQLClient, instances: int) -> str:
    project = await create_collection(gql, f"P{instances}", "project")
    film = await create_asset(gql, "Film", "film")
    scene = await create_asset(gql, "Scene 1", "scene")
    await add_to_collection(gql, project, film)
    await link(gql, film, scene, sequence=1)
    for n in range(instances):
        prop = await create_asset(gql, f"Prop {n:02}", "prop")
        await add_to_collection(gql, project, prop)
        await gql("mutation ($id: ID!) { lockAsset(id: $id) { errors { code } } }", {"id": prop})
    body = await gql(INHERIT, {"input": {"sceneId": scene}})
    assert body["data"]["inheritSceneAssets"] == {"count": instances, "errors": []}
    return scene


async def test_scene_instances_cost_a_fixed_number_of_statements(
    gql: GraphQLClient, statement_counter: StatementCounter
) -> None:
    small, large = await _scene_with(gql, 5), await _scene_with(gql, 50)
    counts = []
    for scene, expected in ((small, 5), (large, 50)):
        with statement_counter.counting() as statements:
            body = await gql(SCENE, {"id": scene})
        assert len(body["data"]["asset"]["instancesConnection"]["edges"]) == expected
        counts.append(len(statements))
    # set_config, scene, instances, sync sources, dependents, lineage (the token is cached;
    # sync and canDelete are not compiled, so the resolvers answer)
    assert counts == [6, 6]
