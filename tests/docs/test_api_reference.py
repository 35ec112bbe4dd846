"""docs/api.md and the OpenAPI document agree: every operation has its section, every parameter
is explained, and the reference names no operation or parameter that does not exist."""

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from app.main import create_app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
METHODS = {"get", "post", "put", "patch", "delete"}
OPERATION = re.compile(r"^### `(GET|POST|PUT|PATCH|DELETE) (/\S*)`$", re.MULTILINE)
TABLE_NAME = re.compile(r"^\| `([^`]+)` \|", re.MULTILINE)
BASE = "http://127.0.0.1:8000"
PAGES = {"/", "/docs", "/openapi.json"}  # served, but not API operations
MISSPELT = {"contry"}  # the example of the 422 that an unknown parameter gets


@pytest.fixture(scope="module")
def operations() -> dict[str, set[str]]:
    """`METHOD /path` -> its parameters' names (headers in lower case)."""
    schema = create_app().openapi()
    return {
        f"{method.upper()} {path}": {
            p["name"].lower() if p["in"] == "header" else p["name"]
            for p in operation.get("parameters", [])
        }
        for path, items in schema["paths"].items()
        for method, operation in items.items()
        if method in METHODS
    }


def _sections() -> dict[str, str]:
    """Each `### `METHOD /path`` heading -> its text, up to the next heading."""
    parts = re.split(r"^(#{2,3} .*)$", DOC, flags=re.MULTILINE)
    return {heading: body for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def _operation_sections() -> dict[str, str]:
    sections = {}
    for heading, body in _sections().items():
        match = OPERATION.match(heading)
        if match:
            sections[f"{match[1]} {match[2]}"] = body
    return sections


def _event_filters() -> str:
    start = DOC.index("## Event filters")
    return DOC[start : DOC.index("\n## ", start + 1)]


def _named(text: str) -> set[str]:
    """The words in backticks, and header names in lower case too."""
    words = set(re.findall(r"`([^`\s]+)`", text))
    return words | {word.lower() for word in words}


def test_every_operation_has_a_section(operations):
    assert sorted(set(operations) - set(_operation_sections())) == []


def test_every_section_is_an_operation(operations):
    assert sorted(set(_operation_sections()) - set(operations)) == []


def test_every_parameter_of_every_operation_is_explained(operations):
    sections = _operation_sections()
    filters = _named(_event_filters())
    missing = []
    for operation, parameters in operations.items():
        body = sections.get(operation, "")
        named = _named(body) | (filters if "(#event-filters)" in body else set())
        missing += [f"{operation}: {name}" for name in sorted(parameters - named)]
    assert missing == []


def test_parameter_tables_name_only_real_parameters(operations):
    wrong = [
        f"{operation}: {name}"
        for operation, body in _operation_sections().items()
        for name in TABLE_NAME.findall(body)
        if name.lower() not in operations.get(operation, set())
    ]
    wrong += [
        f"event filters: {name}"
        for name in TABLE_NAME.findall(_event_filters().split("### Search with")[0])
        if name not in operations["GET /v1/events"]
    ]
    assert wrong == []


def _commands() -> list[str]:
    """Every command of the reference's shell blocks, continuation lines joined."""
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", DOC, re.DOTALL | re.MULTILINE)
    return [
        command for block in blocks for command in re.split(r"(?<!\\)\n", block) if command.strip()
    ]


def _path_template(path: str, operations: dict[str, set[str]]) -> str | None:
    for operation in operations:
        template = operation.split(" ", 1)[1]
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template
    return None


def _requests(command: str) -> list[tuple[str, set[str]]]:
    """The path and query parameter names of each address in a command, with curl's
    `-G -d name=...` and `--data-urlencode name=...` counted as query parameters."""
    found = []
    for address in re.findall(re.escape(BASE) + r"(/[^\s'\"]*)", command):
        parts = urlsplit(address)
        names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        if " -G " in command:
            names |= set(re.findall(r"(?:-d|--data-urlencode) [\"']?([a-z_]+)=", command))
        found.append((parts.path, names))
    return found


def test_every_example_asks_for_real_paths_and_parameters(operations):
    requests = [request for command in _commands() for request in _requests(command)]
    assert len(requests) > 40
    wrong = []
    for path, names in requests:
        if path in PAGES:
            continue
        template = _path_template(path, operations)
        if template is None:
            wrong.append(f"no such path: {path}")
            continue
        known = set().union(
            *(params for op, params in operations.items() if op.endswith(f" {template}"))
        )
        wrong += [f"{path}: no parameter {name}" for name in sorted(names - known - MISSPELT)]
    assert wrong == []


def test_every_operation_mentioned_exists(operations):
    mentioned = set(re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE) /[^`?\s]*)", DOC))
    templates = {operation: re.sub(r"\{[^}]+\}", "{}", operation) for operation in operations}
    wrong = [
        operation
        for operation in sorted(mentioned)
        if re.sub(r"\{[^}]+\}", "{}", operation) not in templates.values()
        and operation.split(" ", 1)[1] not in PAGES
    ]
    assert wrong == []


def test_the_readme_links_the_reference_at_its_top():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "(docs/api.md)" in readme[:600]
