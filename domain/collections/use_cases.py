"""Collection use cases. They never commit; each writes a `collection.*` event."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.assets.queries import get_assets
from domain.collections import queries
from domain.db import Transaction
from domain.errors import DomainError, ErrorCode, ErrorDetail, not_found
from domain.events import record_event
from domain.ids import uuid7
from domain.records import CollectionRecord
from domain.rules import (
    collection_type_errors,
    json_object_errors,
    name_errors,
    raise_if,
    text_errors,
)

SEQUENCE_MAX = 1_000_000_000


def _errors(values: dict[str, Any]) -> list[ErrorDetail]:
    errors = []
    if "name" in values:
        errors += name_errors(values["name"])
    if "type" in values:
        errors += collection_type_errors(values["type"])
    errors += text_errors(values.get("description"), "description")
    if "metadata" in values:
        errors += json_object_errors(values["metadata"], "metadata")
    return errors


async def create_collection(
    tx: Transaction, *, name: str, type: str, description: str = "",
    metadata: dict[str, Any] | None = None,
) -> CollectionRecord:
    values = {"name": name, "type": type, "description": description,
              "metadata": metadata if metadata is not None else {}}
    raise_if(_errors(values))
    collection = await queries.insert_collection(tx, {"id": uuid7(), **values})
    await record_event(tx, "collection.created", collection.id, {"name": name, "type": type})
    return collection


async def _get_for_update(tx: Transaction, collection_id: UUID, field: str) -> CollectionRecord:
    collection = await queries.get_collection_for_update(tx, collection_id)
    if collection is None:
        raise not_found("collection", field)
    return collection


async def update_collection(
    tx: Transaction, collection_id: UUID, changes: dict[str, Any]
) -> CollectionRecord:
    collection = await _get_for_update(tx, collection_id, "id")
    raise_if(_errors(changes))
    diff = {
        name: {"before": getattr(collection, name), "after": value}
        for name, value in changes.items()
        if getattr(collection, name) != value
    }
    if not diff:
        return collection
    updated = await queries.update_collection(tx, collection_id, changes)
    await record_event(tx, "collection.updated", collection_id, {"changes": diff})
    return updated


async def delete_collection(tx: Transaction, collection_id: UUID) -> CollectionRecord:
    """Removes the collection and its memberships; the assets stay."""
    collection = await _get_for_update(tx, collection_id, "id")
    await queries.delete_collection(tx, collection_id)
    await record_event(tx, "collection.deleted", collection_id, {"name": collection.name})
    return collection


@dataclass(frozen=True)
class Membership:
    asset_id: UUID
    sequence: int | None = None  # None: after the collection's last member


async def add_many_to_collection(
    tx: Transaction, *, collection_id: UUID, members: Sequence[Membership]
) -> CollectionRecord:
    """Add many assets, each as `add_to_collection` adds one (the first refused refuses them
    all, with its error), in three statements: the collection's row lock, the assets, one
    insert of the new members with their `collection.asset_added` events. Idempotent: an
    asset that is a member already (or listed twice) is added once, where it was."""
    collection = await _get_for_update(tx, collection_id, "collectionId")
    found = await get_assets(tx, [m.asset_id for m in members])
    for member in members:
        asset = found.get(member.asset_id)
        if asset is None or asset.deleted_at is not None:
            raise not_found("asset", "assetId")
        if member.sequence is not None and not 0 <= member.sequence <= SEQUENCE_MAX:
            raise DomainError.of(ErrorCode.INVALID,
                                 f"sequence must be between 0 and {SEQUENCE_MAX}", "sequence")
    listed: dict[UUID, int | None] = {}
    for member in members:
        listed.setdefault(member.asset_id, member.sequence)
    await queries.insert_new_members(tx, collection_id, [
        queries.NewMember(asset_id, sequence, {}) for asset_id, sequence in listed.items()])
    return collection


async def add_to_collection(
    tx: Transaction, *, collection_id: UUID, asset_id: UUID, sequence: int | None = None
) -> CollectionRecord:
    """Idempotent: adding a member twice changes nothing."""
    return await add_many_to_collection(tx, collection_id=collection_id,
                                        members=[Membership(asset_id, sequence)])


async def remove_from_collection(
    tx: Transaction, *, collection_id: UUID, asset_id: UUID
) -> CollectionRecord:
    collection = await _get_for_update(tx, collection_id, "collectionId")
    if not await queries.delete_member(tx, collection_id=collection_id, asset_id=asset_id):
        raise DomainError.of(ErrorCode.NOT_FOUND, "the asset is not in this collection",
                             "assetId")
    await record_event(tx, "collection.asset_removed", collection_id, {"asset_id": asset_id})
    return collection


async def reorder_collection(
    tx: Transaction, *, collection_id: UUID, asset_ids: list[UUID]
) -> CollectionRecord:
    """The listed assets take positions 1..n in the given order; the rest follow in theirs."""
    collection = await _get_for_update(tx, collection_id, "collectionId")
    if len(set(asset_ids)) != len(asset_ids):
        raise DomainError.of(ErrorCode.INVALID, "assetIds lists an asset twice", "assetIds")
    current = await queries.member_sequences(tx, collection_id)
    strangers = [a for a in asset_ids if a not in current]
    if strangers:
        raise DomainError.of(ErrorCode.NOT_FOUND,
                             f"{len(strangers)} of assetIds are not in this collection",
                             "assetIds")
    listed = set(asset_ids)
    ordered = asset_ids + [a for a in current if a not in listed]
    await queries.set_member_sequences(
        tx,
        {current[a][0]: position for position, a in enumerate(ordered, start=1)
         if current[a][1] != position},
    )
    await record_event(tx, "collection.reordered", collection_id, {"asset_ids": ordered})
    return collection
