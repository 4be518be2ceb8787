"""The SDL is a checked-in contract: `schema.graphql` equals what the code defines, and every
element of the schema says what it is."""

import difflib
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_introspection_query,
    graphql_sync,
    specified_scalar_types,
)

from api.contract import REGENERATE, SDL_FILE, current_sdl
from api.settings import Settings, schema_options
from schema.schema import build_schema

ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_is_what_the_code_defines() -> None:
    # given the checked-in SDL and the code's
    checked_in = (ROOT / SDL_FILE).read_text()
    code = current_sdl()
    # then they are the same text
    diff = "".join(difflib.unified_diff(checked_in.splitlines(keepends=True),
                                        code.splitlines(keepends=True),
                                        fromfile=SDL_FILE, tofile="the code"))
    assert not diff, f"{SDL_FILE} is out of date: run `{REGENERATE}`.\n{diff}"


def undocumented(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument and enum value without a description."""
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in specified_scalar_types:
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(type_, GraphQLEnumType):
            missing += [f"{name}.{value_name}" for value_name, value in type_.values.items()
                        if not value.description]
    return sorted(missing)


def test_every_element_of_the_schema_is_described() -> None:
    # given the schema the server runs
    schema = build_schema(schema_options(Settings.from_env()))._schema
    # then every type, field, argument and enum value has a description
    missing = undocumented(schema)
    assert missing == [], f"{len(missing)} undescribed:\n" + "\n".join(missing)


def test_the_check_lists_undescribed_elements() -> None:
    # given a schema with one described and several undescribed elements
    from graphql import build_schema as build_sdl

    schema = build_sdl('"A thing." type Query { "Its name." name(upper: Boolean): String '
                       "size: Int } enum Colour { RED }")
    # then exactly the undescribed ones are listed
    assert undocumented(schema) == ["Colour", "Colour.RED", "Query.name(upper)", "Query.size"]


def test_standard_introspection_prints_every_default_value() -> None:
    # given the schema, as GraphiQL, gql and codegen see it
    schema = build_schema(schema_options(Settings(_env_file=None)))._schema
    # when they send the standard introspection query (which asks every defaultValue)
    result = graphql_sync(schema, get_introspection_query())
    # then it answers without error, and the JSON defaults that were `{}` are null
    assert result.errors is None
    assert result.data is not None
    inputs = {t["name"]: {f["name"]: f["defaultValue"] for f in t["inputFields"]}
              for t in result.data["__schema"]["types"] if t["kind"] == "INPUT_OBJECT"}
    assert (inputs["CreateAssetInput"]["metadata"],
            inputs["CreateCollectionInput"]["metadata"]) == ("null", "null")
