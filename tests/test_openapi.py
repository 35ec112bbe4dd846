"""The OpenAPI document is the API's reference: every parameter is described and shown."""

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
