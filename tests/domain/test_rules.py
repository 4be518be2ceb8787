"""Pure rules: metadata models, names, tags, change detection."""

from domain.errors import ErrorCode, ErrorDetail
from domain.rules import (
    changed_fields,
    collection_type_errors,
    json_object_errors,
    metadata_errors,
    name_errors,
    normalize_tags,
    tags_errors,
)


def test_metadata_models_check_known_keys_and_let_others_pass() -> None:
    assert metadata_errors("video", {"width": 1920, "height": 1080, "fps": 23.976,
                                     "codec": "h264", "anything": [1, 2]}) == []
    assert metadata_errors("video", {"fps": "fast", "width": True}) == [
        ErrorDetail(ErrorCode.INVALID, "metadata.width must be a positive integer in video "
                    "metadata", "metadata.width"),
        ErrorDetail(ErrorCode.INVALID, "metadata.fps must be a non-negative number in video "
                    "metadata", "metadata.fps"),
    ]
    assert metadata_errors("audio", {"sample_rate": 0}) == [
        ErrorDetail(ErrorCode.INVALID, "metadata.sample_rate must be a positive integer in audio "
                    "metadata", "metadata.sample_rate")]
    assert metadata_errors("scene", []) == [
        ErrorDetail(ErrorCode.INVALID, "metadata must be an object", "metadata")]


def test_names_must_be_present_and_short() -> None:
    assert name_errors("Mara") == []
    assert name_errors("x" * 255) == []
    assert name_errors("   ") == [ErrorDetail(ErrorCode.INVALID, "name must not be blank",
                                              "name")]
    assert name_errors("x" * 256) == [
        ErrorDetail(ErrorCode.INVALID, "name is 256 characters; at most 255", "name")]


def test_tags_are_a_bounded_ordered_set() -> None:
    assert normalize_tags([" muddy", "wet", "muddy "]) == ["muddy", "wet"]
    assert tags_errors(["ok"] * 100) == []
    assert tags_errors(["ok"] * 101) == [
        ErrorDetail(ErrorCode.INVALID, "at most 100 tags", "tags")]
    assert tags_errors([""]) == [
        ErrorDetail(ErrorCode.INVALID, "tags must be 1 to 64 characters: ''", "tags")]


def test_collection_types_are_lowercase_words() -> None:
    assert collection_type_errors("library") == []
    assert collection_type_errors("mood_board") == []
    assert [e.field for e in collection_type_errors("Library")] == ["type"]
    assert [e.field for e in collection_type_errors("")] == ["type"]


def test_changed_fields_compares_metadata_per_key() -> None:
    before = {"name": "Mara", "metadata": {"hair": "red", "age": 40}, "tags": []}
    after = {"name": "Mara", "metadata": {"hair": "grey", "eyes": "green", "age": 40},
             "tags": ["muddy"]}
    assert changed_fields(before, after) == {
        "metadata.eyes": {"before": None, "after": "green"},
        "metadata.hair": {"before": "red", "after": "grey"},
        "tags": {"before": [], "after": ["muddy"]},
    }


def test_a_json_object_is_refused_too_deep_first_then_for_a_nul() -> None:
    # given objects nested too deep (with a NUL too), with a NUL in a key, in a nested text
    deep: dict[str, object] = {"nul": "a\x00"}
    inner = deep
    for _ in range(32):
        inner["k"] = {}
        inner = inner["k"]  # type: ignore[assignment]
    # when each is checked as metadata, then the error names what is wrong and where
    assert json_object_errors(deep, "metadata") == [ErrorDetail(
        ErrorCode.INVALID, "metadata is nested more than 32 levels deep",
        "metadata" + ".k" * 32)]
    nul = ErrorDetail(ErrorCode.INVALID, "metadata must not contain NUL characters", "metadata")
    assert json_object_errors({"a\x00": 1}, "metadata") == [nul]
    assert json_object_errors({"a": [{"b": ["ok", "c\x00"]}]}, "metadata") == [nul]
    assert json_object_errors({"a": [{"b": ["ok", 1, None]}]}, "metadata") == []
    assert json_object_errors([], "metadata") == [ErrorDetail(
        ErrorCode.INVALID, "metadata must be an object", "metadata")]
