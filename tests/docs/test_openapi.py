"""The OpenAPI document is the API's reference: every parameter is described and shown."""

from importlib.metadata import version
from typing import Any

import pytest

from app.main import create_app

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return create_app().openapi()


def _parameters(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", parameter["name"], parameter)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
        for parameter in operation.get("parameters", [])
    ]


def test_every_parameter_has_an_example(schema):
    missing = [
        f"{where} {name}"
        for where, name, parameter in _parameters(schema)
        if "example" not in parameter
        and "examples" not in parameter
        and "examples" not in parameter.get("schema", {})
    ]
    assert missing == []


def test_every_parameter_is_described(schema):
    missing = [
        f"{where} {name}"
        for where, name, parameter in _parameters(schema)
        if not parameter.get("description")
    ]
    assert missing == []


def test_every_operation_has_a_summary_and_documented_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path}"
            if path.startswith("/v1/") and operation.get("parameters"):
                assert "422" in operation["responses"], f"{method} {path}"


def _refers_to_a_schema(prop: dict[str, Any]) -> bool:
    """A property that is another schema (or a list or a null of one): its own properties
    carry the examples."""
    shapes = [prop, *prop.get("anyOf", [])]
    items = [shape["items"] for shape in shapes if "items" in shape]
    shapes += [*items, *(alternative for item in items for alternative in item.get("anyOf", []))]
    return any("$ref" in shape for shape in shapes)


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{name}.{prop}", value)
        for name, component in schema["components"]["schemas"].items()
        for prop, value in component.get("properties", {}).items()
    ]


def test_every_schema_property_is_described(schema):
    properties = _properties(schema)
    assert len(properties) > 200
    assert [where for where, prop in properties if not prop.get("description")] == []


def test_every_schema_property_has_an_example(schema):
    missing = [
        where
        for where, prop in _properties(schema)
        if not prop.get("examples") and "example" not in prop and not _refers_to_a_schema(prop)
    ]
    assert missing == []


def test_the_documents_version_is_the_packages():
    assert create_app().openapi()["info"]["version"] == version("dyad")
