"""Assertions that many test files share."""

from typing import Any

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The RFC 9457 problem document of `response`, which must have this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert "Traceback" not in response.text
    return problem
