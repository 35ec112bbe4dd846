"""schemathesis against the app's own OpenAPI document: valid and invalid requests to every
operation, checked for server errors and for status codes, content types, headers and bodies
that match what the document promises."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from app.core.settings import Settings
from app.keys.models import Scope
from app.keys.service import create_key
from app.main import create_app

EXAMPLES_PER_OPERATION = 15
METHODS = {"get", "post", "put", "patch", "delete"}


def _cases() -> list[tuple[str, GenerationMode]]:
    """(operation, mode) for every operation of the document, read without a database.

    Invalid requests need an input to spoil: operations without parameters or body get
    only valid ones.
    """
    document: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
    cases = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            label = f"{method.upper()} {path}"
            cases.append((label, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((label, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize(("label", "mode"), _cases())
def test_every_operation_keeps_its_documented_promises(app, seeded, session, label, mode):
    # An admin key for everything but reads, which are public: writes and key management are
    # explored as well as refusals.
    _, key = create_key(session, "schemathesis", Scope.admin)
    headers = (
        {}
        if label.startswith("GET /v1/") and "/keys" not in label
        else {"Authorization": f"Bearer {key}"}
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    # A request can fit the schema and still break a rule the schema can't say (an impossible
    # date like 2013-02-30, a link to an unknown event): a 422 is right, so valid-looking data
    # may be refused. And a query string is text: a "wrong type" such as publisher=false is
    # often valid text, so only bodies are held to refusing every invalid value.
    excluded: list[schemathesis.CheckFunction] = [positive_data_acceptance]
    if label.startswith("GET "):
        excluded.append(negative_data_rejection)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,  # the same cases every run: a failure here is never a fluke
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def keeps_promises(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    keeps_promises()
