"""The raw baseline of the peers benchmark: one hand-written SQL statement per workload.

A minimal Starlette app (served by uvicorn) with one POST route per workload. Each runs ONE
statement with bound parameters on an asyncpg pool, PostgreSQL builds the whole response as
JSON text, and the route returns those bytes. No GraphQL, no auth: the floor a GraphQL server
over the same tables could approach. The DSN comes from `BENCH_RAW_DSN`.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

POOL_SIZE = 10

# collection -> first 10 film members -> first 10 part_of children -> first 10 of theirs.
W1 = """
SELECT json_build_object('data', json_build_object('collection', json_build_object(
  'id', c.id, 'name', c.name, 'assets', coalesce((
    SELECT json_agg(json_build_object('id', f.id, 'name', f.name, 'children', coalesce((
      SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'children', coalesce((
        SELECT json_agg(json_build_object('id', t.id, 'name', t.name)
                        ORDER BY t.sequence, t.edge_id)
        FROM (SELECT a.id, a.name, e.sequence, e.id AS edge_id
              FROM asset_relationships e
              JOIN assets a ON a.workspace_id = e.workspace_id AND a.id = e.child_asset_id
              WHERE e.workspace_id = $1 AND e.parent_asset_id = s.id
                AND e.relationship_type = 'part_of' AND a.deleted_at IS NULL
              ORDER BY e.sequence, e.id LIMIT 10) t), '[]'::json))
        ORDER BY s.sequence, s.edge_id)
      FROM (SELECT a.id, a.name, e.sequence, e.id AS edge_id
            FROM asset_relationships e
            JOIN assets a ON a.workspace_id = e.workspace_id AND a.id = e.child_asset_id
            WHERE e.workspace_id = $1 AND e.parent_asset_id = f.id
              AND e.relationship_type = 'part_of' AND a.deleted_at IS NULL
            ORDER BY e.sequence, e.id LIMIT 10) s), '[]'::json))
      ORDER BY f.sequence, f.member_id)
    FROM (SELECT a.id, a.name, m.sequence, m.id AS member_id
          FROM asset_collection_members m
          JOIN assets a ON a.workspace_id = m.workspace_id AND a.id = m.asset_id
          WHERE m.workspace_id = $1 AND m.collection_id = c.id AND a.type = 'film'
            AND a.deleted_at IS NULL
          ORDER BY m.sequence, m.id LIMIT 10) f), '[]'::json))))::text
FROM asset_collections c
WHERE c.workspace_id = $1 AND c.id = $2
"""

W2 = """
SELECT json_build_object('data', json_build_object('asset', json_build_object(
  'id', p.id, 'name', p.name, 'children', coalesce((
    SELECT json_agg(json_build_object('id', c.id, 'name', c.name) ORDER BY c.sequence, c.edge_id)
    FROM (SELECT a.id, a.name, e.sequence, e.id AS edge_id
          FROM asset_relationships e
          JOIN assets a ON a.workspace_id = e.workspace_id AND a.id = e.child_asset_id
          WHERE e.workspace_id = $1 AND e.parent_asset_id = p.id AND a.deleted_at IS NULL
          ORDER BY e.sequence, e.id LIMIT 10) c), '[]'::json))))::text
FROM assets p
WHERE p.workspace_id = $1 AND p.id = $2 AND p.deleted_at IS NULL
"""

# The first 100 roots of a type, each with its upstream lineage (any edge type) to maxDepth,
# every ancestor once at its nearest depth, at most 100 steps per root.
W3 = """
WITH RECURSIVE roots AS (
  SELECT id, name, created_at FROM assets
  WHERE workspace_id = $1 AND type = $2 AND deleted_at IS NULL
  ORDER BY created_at, id LIMIT 100
), walk(root, asset_id, depth) AS (
  SELECT id, id, 0 FROM roots
  UNION
  SELECT w.root, e.parent_asset_id, w.depth + 1
  FROM walk w
  JOIN asset_relationships e ON e.workspace_id = $1 AND e.child_asset_id = w.asset_id
  WHERE w.depth < $3
), nearest AS (
  SELECT root, asset_id, min(depth) AS depth FROM walk WHERE depth > 0 GROUP BY root, asset_id
)
SELECT json_build_object('data', json_build_object('roots', coalesce(json_agg(
  json_build_object('id', r.id, 'name', r.name, 'steps', coalesce((
    SELECT json_agg(json_build_object('depth', s.depth, 'asset',
                                      json_build_object('id', s.id, 'name', s.name))
                    ORDER BY s.depth, s.id)
    FROM (SELECT n.depth, a.id, a.name
          FROM nearest n
          JOIN assets a ON a.workspace_id = $1 AND a.id = n.asset_id AND a.deleted_at IS NULL
          WHERE n.root = r.id
          ORDER BY n.depth, a.id LIMIT 100) s), '[]'::json))
  ORDER BY r.created_at, r.id), '[]'::json)))::text
FROM roots r
"""

# Filtered assets with scalar, JSON and list fields, two edge types and their collections.
W4 = """
SELECT json_build_object('data', json_build_object('assets', coalesce(json_agg(
  json_build_object(
    'id', a.id, 'name', a.name, 'metadata', a.metadata, 'tags', a.tags,
    'createdAt', a.created_at, 'version', a.version,
    'parents', (
      SELECT json_build_object('totalCount', count(*), 'edges', coalesce(json_agg(
        json_build_object('type', e.relationship_type, 'metadata', e.metadata,
                          'parent', json_build_object('name', p.name))
        ORDER BY e.created_at, e.id), '[]'::json))
      FROM asset_relationships e
      JOIN assets p ON p.workspace_id = e.workspace_id AND p.id = e.parent_asset_id
      WHERE e.workspace_id = $1 AND e.child_asset_id = a.id
        AND e.relationship_type = 'derived_from' AND p.deleted_at IS NULL),
    'children', (
      SELECT json_build_object('totalCount', count(*), 'edges', coalesce(json_agg(
        json_build_object('child', json_build_object('name', c.name, 'url', c.url))
        ORDER BY e.sequence, e.id), '[]'::json))
      FROM asset_relationships e
      JOIN assets c ON c.workspace_id = e.workspace_id AND c.id = e.child_asset_id
      WHERE e.workspace_id = $1 AND e.parent_asset_id = a.id
        AND e.relationship_type = 'reference_for' AND c.deleted_at IS NULL),
    'collections', (
      SELECT coalesce(json_agg(json_build_object('name', k.name)
                               ORDER BY k.created_at, k.id), '[]'::json)
      FROM asset_collection_members m
      JOIN asset_collections k ON k.workspace_id = m.workspace_id AND k.id = m.collection_id
      WHERE m.workspace_id = $1 AND m.asset_id = a.id))
  ORDER BY a.created_at, a.id), '[]'::json)))::text
FROM (SELECT * FROM assets
      WHERE workspace_id = $1 AND type = ANY($2::text[]) AND tags && $3::text[]
        AND deleted_at IS NULL
      ORDER BY created_at, id LIMIT $4) a
"""


def _statement(sql: str, arguments: Any) -> Any:
    async def run(request: Request) -> Response:
        body = await request.json()
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as connection:
            text = await connection.fetchval(sql, *arguments(body))
        if text is None:
            return Response(b'{"data": null}', media_type="application/json")
        return Response(text.encode(), media_type="application/json")

    return run


def _w1(body: dict[str, Any]) -> tuple[UUID, UUID]:
    return UUID(body["workspace"]), UUID(body["collection"])


def _w2(body: dict[str, Any]) -> tuple[UUID, UUID]:
    return UUID(body["workspace"]), UUID(body["asset"])


def _w3(body: dict[str, Any]) -> tuple[UUID, str, int]:
    return UUID(body["workspace"]), str(body["type"]), int(body["maxDepth"])


def _w4(body: dict[str, Any]) -> tuple[UUID, list[str], list[str], int]:
    return (UUID(body["workspace"]), list(body["types"]), list(body["tagsAny"]),
            int(body["first"]))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    dsn = os.environ["BENCH_RAW_DSN"]
    app.state.pool = await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)
    try:
        yield
    finally:
        await app.state.pool.close()


async def healthz(request: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/w1", _statement(W1, _w1), methods=["POST"]),
        Route("/w2", _statement(W2, _w2), methods=["POST"]),
        Route("/w3", _statement(W3, _w3), methods=["POST"]),
        Route("/w4", _statement(W4, _w4), methods=["POST"]),
    ],
    lifespan=lifespan,
)
