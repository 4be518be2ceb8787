"""Nested query cost by size: statements per request and latency per scene against 5x5."""

import asyncio
import statistics
import time
from uuid import UUID

import httpx
from sqlalchemy import event

from api.app import create_app
from api.settings import Settings
from bench.common import embedded_database
from domain.access import Role, create_token, create_workspace
from domain.assets.use_cases import NewAsset, create_asset
from domain.collections.use_cases import add_to_collection, create_collection
from domain.db import Database, transaction
from domain.graph.use_cases import link_assets
from schema.inputs import to_global_id
from tests.lifespan import serving

# Pages sized so that 50x50 stays under the default cost limit (schema/cost.py): ~42,600.
QUERY = """query ($id: ID!) { collection(id: $id) { assets(types: ["film"], first: 50) {
  edges { node { name children(types: [PART_OF], first: 50) { totalCount edges { node {
    child { name parents(first: 2) { totalCount edges { node { type parent { name } } } }
      lineage(direction: UPSTREAM, maxDepth: 5, first: 3) {
        isPartial steps { depth asset { name } } }
} } } } } } } } }"""
SIZES = [(5, 5), (20, 20), (50, 50)]
RUNS = 15


async def build(database: Database, workspace_id: UUID, films: int, scenes: int) -> str:
    async with transaction(database, workspace_id=workspace_id) as tx:
        project = await create_collection(tx, name=f"{films}x{scenes}", type="project")
        for f in range(films):
            film = await create_asset(tx, NewAsset(type="film", name=f"Film {f}"))
            await add_to_collection(tx, collection_id=project.id, asset_id=film.id)
            for s in range(scenes):
                scene = await create_asset(tx, NewAsset(type="scene", name=f"Scene {f}.{s}"))
                await link_assets(tx, parent_id=film.id, child_id=scene.id,
                                  relationship_type="part_of", sequence=s + 1)
    return to_global_id("Collection", project.id)


async def main() -> None:
    settings = Settings(environment="production")
    async with embedded_database(settings) as bench:
        statements: list[str] = []
        event.listen(bench.engine.sync_engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        database = bench.database
        async with transaction(database) as tx:
            workspace = await create_workspace(tx, "Bench")
        async with transaction(database, workspace_id=workspace.id) as tx:
            _, token = await create_token(tx, name="bench", role=Role.VIEWER)
        app = create_app(settings, database=database)
        async with serving(app) as started, httpx.AsyncClient(
                transport=httpx.ASGITransport(app=started), base_url="http://bench") as http:
            baseline = None
            print(f"{'size':>7} {'scenes':>6} {'statements':>10} {'median ms':>10} "
                  f"{'ms/scene':>9} {'vs 5x5':>7}")
            for films, scenes in SIZES:
                collection = await build(database, workspace.id, films, scenes)
                timings = []
                for _ in range(RUNS):
                    statements.clear()
                    started = time.perf_counter()
                    response = await http.post(
                        "/graphql", json={"query": QUERY, "variables": {"id": collection}},
                        headers={"Authorization": f"Bearer {token}"})
                    timings.append(time.perf_counter() - started)
                    assert "errors" not in response.json(), response.text
                median_ms = statistics.median(timings) * 1000
                per_scene = median_ms / (films * scenes)
                baseline = baseline or per_scene
                print(f"{films:>3}x{scenes:<3} {films * scenes:>6} {len(statements):>10} "
                      f"{median_ms:>10.1f} {per_scene:>9.3f} {per_scene / baseline:>7.2f}")


if __name__ == "__main__":
    asyncio.run(main())
