"""Conditional writes: If-Match against a resource's version, and JSON Merge Patch."""

import re
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header
from pydantic import BaseModel, ValidationError

from app.core.db import utcnow
from app.core.errors import BadRequest, InvalidInput, PreconditionFailed, PreconditionRequired

M = TypeVar("M", bound=BaseModel)
_QUOTED_VERSION = re.compile(r'"(\d{1,9})"')


def if_match_version(
    if_match: Annotated[
        str | None,
        Header(
            description='The ETag of the version you read, e.g. "3"; `*` for any version.',
            examples=['"3"'],
        ),
    ] = None,
) -> int | None:
    """The version named by If-Match; None for `*`. Missing is 428, malformed 400."""
    if if_match is None:
        raise PreconditionRequired(
            'Send If-Match with the ETag of the version you read (for example If-Match: "3"), '
            "so that no one else's change is lost."
        )
    if if_match.strip() == "*":
        return None
    match = _QUOTED_VERSION.fullmatch(if_match.strip())
    if match is None:
        raise BadRequest('If-Match must be an ETag of this API, such as "3", or *.')
    return int(match[1])


IfMatch = Annotated[int | None, Depends(if_match_version)]


def check_version(what: str, current: int, expected: int | None) -> None:
    """412 unless `expected` (None stands for `If-Match: *`) is the current version."""
    if expected is not None and current != expected:
        raise PreconditionFailed(
            f"The {what} is at version {current}, not {expected}: "
            "read it again, reapply your change and send If-Match with the new version.",
            headers={"ETag": f'"{current}"'},
            current_version=current,
        )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def validate_patched(model: type[M], merged: Any, what: str) -> M:
    """The patched resource as `model`, or a 422 listing what the patch made invalid."""
    try:
        return model.model_validate(merged)
    except ValidationError as error:
        raise InvalidInput(
            f"The patched {what} is not valid.",
            errors=[
                {"loc": ["body", *map(str, e["loc"])], "msg": e["msg"]} for e in error.errors()
            ],
        ) from None


def patched(row: Any, model: type[M], patch: dict[str, Any], what: str) -> M | None:
    """`row`'s writable fields (those of `model`) with a JSON Merge Patch applied and validated,
    or None when the patch changes nothing. A patch may not change the id."""
    current = model.model_validate({name: getattr(row, name) for name in _writable(model)})
    data = validate_patched(model, merge_patch(current.model_dump(), patch), what)
    if getattr(data, "id", None) not in (None, row.id):
        raise InvalidInput(f"The id of a {what} never changes: this one is {row.id!r}.")
    return None if data.model_dump(exclude={"id"}) == current.model_dump(exclude={"id"}) else data


def apply_patched(row: Any, data: BaseModel) -> None:
    """Write `data`'s fields (but the id) onto `row`, as its next version."""
    for name, value in data.model_dump(exclude={"id"}).items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = utcnow()


def _writable(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields) - {"id"}
