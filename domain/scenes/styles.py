"""Styles at every level of a production: `setStyle` and the style that applies.

A style on an asset, a scene or a film is a `style` asset USED_IN it (DESIGN §4: a style
capsule is `used_in` what it styles), at most one per target; a project collection names its
style in `asset_collections.style_id` and may require one (`style_required`). The style that
applies to an asset is the nearest (see `domain.scenes.queries.Placement`).
"""

from dataclasses import dataclass
from uuid import UUID

from domain.assets import queries as asset_queries
from domain.assets.use_cases import get_live_asset_for_update
from domain.collections import queries as collection_queries
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail, not_found
from domain.events import record_event
from domain.graph import queries as graph_queries
from domain.graph.use_cases import link_assets
from domain.graph.vocabulary import RelationshipType
from domain.records import AssetRecord, CollectionRecord
from domain.scenes.queries import placements


@dataclass(frozen=True)
class StyleSet:
    asset: AssetRecord | None
    collection: CollectionRecord | None
    style: AssetRecord | None


async def _style(tx: Transaction, style_id: UUID | None) -> AssetRecord | None:
    if style_id is None:
        return None
    style = (await asset_queries.get_assets(tx, [style_id])).get(style_id)
    if style is None:
        raise not_found("style", "styleId")
    if style.deleted_at is not None or style.type != "style":
        raise DomainError.of(ErrorCode.INVALID, f"{style.name!r} is not a live style asset",
                             "styleId")
    return style


async def set_asset_style(tx: Transaction, target_id: UUID, style_id: UUID | None
                          ) -> StyleSet:
    """The asset's one style (a style USED_IN it); `style_id` None removes it."""
    target = await get_live_asset_for_update(tx, target_id, "targetId")
    if target.type == "style":
        raise DomainError.of(ErrorCode.INVALID, "a style cannot have a style", "targetId")
    if target.locked:
        raise DomainError.of(ErrorCode.LOCKED, f"asset {target.name!r} is locked; unlock it "
                             "first", "targetId")
    style = await _style(tx, style_id)
    current = await graph_queries.child_edges_of_type(
        tx, target_id, RelationshipType.USED_IN, "style", live_only=False)
    if style is not None and [e.child_asset_id for e in current] == [style.id]:
        return StyleSet(target, None, style)
    for edge in current:
        await graph_queries.delete_edge(tx, edge.id)
    if style is not None:
        await link_assets(tx, parent_id=target.id, child_id=style.id,
                          relationship_type=RelationshipType.USED_IN)
    await record_event(tx, "asset.style_set", target.id, {
        "style_id": style.id if style else None,
        "previous": [e.child_asset_id for e in current]})
    return StyleSet(target, None, style)


async def set_project_style(tx: Transaction, collection_id: UUID, style_id: UUID | None,
                            style_required: bool | None) -> StyleSet:
    """A project's style and whether generation in it needs one."""
    collection = await collection_queries.get_collection_for_update(tx, collection_id)
    if collection is None:
        raise not_found("collection", "targetId")
    if collection.type != "project":
        raise DomainError.of(ErrorCode.INVALID, f"collection {collection.name!r} is a "
                             f"{collection.type}, not a project", "targetId")
    style = await _style(tx, style_id)
    changes: dict[str, object] = {"style_id": style.id if style else None}
    if style_required is not None:
        changes["style_required"] = style_required
    diff = {name: {"before": getattr(collection, name), "after": value}
            for name, value in changes.items() if getattr(collection, name) != value}
    if diff:
        collection = await collection_queries.update_collection(tx, collection.id, changes)
        await record_event(tx, "collection.updated", collection.id, {"changes": diff})
    return StyleSet(None, collection, style)


async def style_required_errors(tx: Transaction, asset_id: UUID, field: str
                                ) -> list[ErrorDetail]:
    """STYLE_REQUIRED when the asset's project requires a style and none applies."""
    placed = (await placements(tx, [asset_id]))[asset_id]
    if placed.style_required and placed.style_id is None:
        return [ErrorDetail(ErrorCode.STYLE_REQUIRED, "this asset's project requires a style "
                            "and none applies (setStyle on the asset, its scene, its film or "
                            "the project)", field)]
    return []


__all__ = ["StyleSet", "set_asset_style", "set_project_style",
           "style_required_errors"]
