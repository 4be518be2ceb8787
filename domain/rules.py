"""Pure validation rules for assets and collections: no I/O, exhaustively unit-tested.

Every asset type known to the domain has a metadata model: the keys listed here are checked
for type on write (other keys are free-form). A violation names the offending field, e.g.
`metadata.width`, so clients can point at it.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

from domain.assets.vocabulary import AssetSource
from domain.errors import DomainError, ErrorCode, ErrorDetail

NAME_MAX = 255
TAG_MAX = 64
TAGS_MAX = 100
TEXT_MAX = 100_000
COLLECTION_TYPE_MAX = 64

COLLECTION_TYPES = ("library", "project", "character", "storyboard")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float)) and not isinstance(value, bool)


Check = tuple[Callable[[object], bool], str]

STRING: Check = (lambda v: isinstance(v, str), "a string")
POSITIVE_INT: Check = (lambda v: _is_int(v) and v > 0, "a positive integer")  # type: ignore[operator]
NON_NEGATIVE_INT: Check = (lambda v: _is_int(v) and v >= 0, "a non-negative integer")  # type: ignore[operator]
NON_NEGATIVE_NUMBER: Check = (lambda v: _is_number(v) and v >= 0, "a non-negative number")  # type: ignore[operator]
OBJECT: Check = (lambda v: isinstance(v, dict), "an object")
STRING_LIST: Check = (
    lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "a list of strings",
)

_VISUAL = {"width": POSITIVE_INT, "height": POSITIVE_INT, "format": STRING}

METADATA_MODELS: dict[str, dict[str, Check]] = {
    "script": {"format": STRING, "page_count": NON_NEGATIVE_INT, "language": STRING},
    "text": {"format": STRING, "language": STRING},
    "audio": {
        "format": STRING,
        "sample_rate": POSITIVE_INT,
        "channels": POSITIVE_INT,
        "bitrate": POSITIVE_INT,
    },
    "video": {**_VISUAL, "fps": NON_NEGATIVE_NUMBER, "codec": STRING},
    "image": {**_VISUAL, "thumbnail_url": STRING},
    "shot": {
        "sequence": NON_NEGATIVE_INT,
        "camera_angle": STRING,
        "duration": NON_NEGATIVE_NUMBER,
        "prompt": STRING,
    },
    "film": {"duration": NON_NEGATIVE_NUMBER, "logline": STRING},
    "character_ref": {"attributes": OBJECT, "aliases": STRING_LIST},
    "scene": {"duration": NON_NEGATIVE_NUMBER, "setting": STRING, "script_excerpt": STRING,
              "end_state_summary": STRING, "status": STRING},
    "style": {"palette": STRING_LIST, "prompt_suffix": STRING},
    "prop": {"attributes": OBJECT},
    "location": {"setting": STRING, "time_of_day": STRING},
}
ASSET_TYPES = tuple(METADATA_MODELS)


def asset_type_errors(asset_type: str) -> list[ErrorDetail]:
    if asset_type in METADATA_MODELS:
        return []
    known = ", ".join(ASSET_TYPES)
    return [ErrorDetail(ErrorCode.INVALID, f"unknown asset type {asset_type!r}; one of {known}",
                        "type")]


# What no PostgreSQL text can hold: U+0000 and unpaired surrogates (not encodable as UTF-8).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """How `text` names what it holds that no text may hold, or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    return "U+0000" if found.group() == "\x00" else "an unpaired surrogate"


def _has_nul(value: object) -> bool:
    """PostgreSQL text and jsonb cannot hold U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def nul_errors(value: object, field: str) -> list[ErrorDetail]:
    if _has_nul(value):
        return [ErrorDetail(ErrorCode.INVALID, f"{field} must not contain NUL characters", field)]
    return []


JSON_DEPTH_MAX = 32  # a stored JSON object's nesting: part of the contract, like page sizes


def _walk(value: object, limit: int) -> tuple[list[str] | None, bool]:
    """In one pass: the path (keys and indexes) of the first container nested deeper than
    `limit` levels (the value itself is level 1), or None; and whether a key or text in it
    holds U+0000. Iterative (no depth can exhaust the stack), and only containers are kept
    to visit: every write of metadata walks it."""
    nul = False
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(value, 1, ())]
    while stack:
        current, level, path = stack.pop()
        if level > limit:
            return list(path), nul
        items = current.items() if isinstance(current, dict) else enumerate(current)
        for key, child in items:
            if isinstance(key, str) and "\x00" in key:
                nul = True
            if isinstance(child, str):
                nul = nul or "\x00" in child
            elif isinstance(child, dict | list):
                stack.append((child, level + 1, (*path, str(key))))
    return None, nul


def too_deep(value: object, limit: int) -> list[str] | None:
    """The path (keys and indexes) of the first container nested deeper than `limit` levels
    (the value itself is level 1), or None."""
    if not isinstance(value, dict | list):
        return None
    return _walk(value, limit)[0]


def json_object_errors(value: object, field: str) -> list[ErrorDetail]:
    if not isinstance(value, dict):
        return [ErrorDetail(ErrorCode.INVALID, f"{field} must be an object", field)]
    deep, nul = _walk(value, JSON_DEPTH_MAX)
    if deep is not None:
        return [ErrorDetail(ErrorCode.INVALID,
                            f"{field} is nested more than {JSON_DEPTH_MAX} levels deep",
                            ".".join([field, *deep]))]
    if nul:
        return [ErrorDetail(ErrorCode.INVALID, f"{field} must not contain NUL characters", field)]
    return []


def metadata_errors(asset_type: str, metadata: object) -> list[ErrorDetail]:
    if errors := json_object_errors(metadata, "metadata"):
        return errors
    assert isinstance(metadata, dict)
    model = METADATA_MODELS.get(asset_type, {})
    errors = []
    for key, (accepts, expected) in model.items():
        if key in metadata and metadata[key] is not None and not accepts(metadata[key]):
            errors.append(
                ErrorDetail(
                    ErrorCode.INVALID,
                    f"metadata.{key} must be {expected} in {asset_type} metadata",
                    f"metadata.{key}",
                )
            )
    return errors


def name_errors(name: str, field: str = "name") -> list[ErrorDetail]:
    if _has_nul(name):
        return nul_errors(name, field)
    if not name.strip():
        return [ErrorDetail(ErrorCode.INVALID, "name must not be blank", field)]
    if len(name) > NAME_MAX:
        return [ErrorDetail(ErrorCode.INVALID,
                            f"name is {len(name)} characters; at most {NAME_MAX}", field)]
    return []


def text_errors(value: str | None, field: str) -> list[ErrorDetail]:
    if _has_nul(value):
        return nul_errors(value, field)
    if value is not None and len(value) > TEXT_MAX:
        return [ErrorDetail(ErrorCode.INVALID, f"{field} is longer than {TEXT_MAX} characters",
                            field)]
    return []


def tags_errors(tags: list[str]) -> list[ErrorDetail]:
    if len(tags) > TAGS_MAX:
        return [ErrorDetail(ErrorCode.INVALID, f"at most {TAGS_MAX} tags", "tags")]
    for tag in tags:
        if _has_nul(tag):
            return nul_errors(tag, "tags")
        if not tag.strip() or len(tag) > TAG_MAX:
            return [ErrorDetail(ErrorCode.INVALID,
                                f"tags must be 1 to {TAG_MAX} characters: {tag[:80]!r}", "tags")]
    return []


def normalize_tags(tags: list[str]) -> list[str]:
    """Tags are a set kept in first-seen order."""
    return list(dict.fromkeys(tag.strip() for tag in tags))


def source_errors(source: str) -> list[ErrorDetail]:
    if source in tuple(AssetSource):
        return []
    return [ErrorDetail(ErrorCode.INVALID, f"source must be one of {', '.join(AssetSource)}",
                        "source")]


def non_negative_errors(value: float | int | None, field: str) -> list[ErrorDetail]:
    if value is not None and value < 0:
        return [ErrorDetail(ErrorCode.INVALID, f"{field} must not be negative", field)]
    return []


def collection_type_errors(collection_type: str) -> list[ErrorDetail]:
    if 0 < len(collection_type) <= COLLECTION_TYPE_MAX and collection_type.replace(
        "_", ""
    ).isalnum() and collection_type.islower():
        return []
    return [ErrorDetail(ErrorCode.INVALID,
                        "collection type must be a lowercase word such as "
                        f"{', '.join(COLLECTION_TYPES)}", "type")]


def raise_if(errors: list[ErrorDetail]) -> None:
    if errors:
        raise DomainError(*errors)


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Field-level changes; metadata is compared per key as `metadata.<key>`."""
    changes: dict[str, dict[str, Any]] = {}
    for field, new in after.items():
        old = before.get(field)
        if field == "metadata":
            for key in sorted(set(old or {}) | set(new or {})):
                old_value, new_value = (old or {}).get(key), (new or {}).get(key)
                if old_value != new_value:
                    changes[f"metadata.{key}"] = {"before": old_value, "after": new_value}
        elif old != new:
            changes[field] = {"before": old, "after": new}
    return changes
