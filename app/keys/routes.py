"""Managing API keys over HTTP, for admins."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.keys import service
from app.keys.auth import require
from app.keys.models import ApiKeyPublic, KeyCreate, KeyCreated, Scope

router = APIRouter(
    prefix="/v1/keys",
    tags=["keys"],
    dependencies=[require(Scope.admin)],
    responses=problem_responses(401, 403),
)


@router.get("", response_model=list[ApiKeyPublic], summary="List keys")
def list_keys(session: SessionDep) -> list[ApiKeyPublic]:
    """Every key with its prefix, name, scope and use; never the secret."""
    return [ApiKeyPublic.model_validate(key) for key in service.list_keys(session)]


@router.post(
    "",
    response_model=KeyCreated,
    status_code=201,
    responses=problem_responses(422),
    summary="Create a key",
)
def create_key(session: SessionDep, body: KeyCreate, response: Response) -> KeyCreated:
    """A new key; the response is the only time its secret is shown."""
    record, key = service.create_key(session, body.name, body.scope)
    response.headers["Cache-Control"] = "no-store"
    return KeyCreated.model_validate(record, update={"key": key})


@router.delete(
    "/{prefix}",
    response_model=ApiKeyPublic,
    responses=problem_responses(404),
    summary="Revoke a key",
)
def revoke_key(
    session: SessionDep,
    prefix: Annotated[
        str,
        Path(
            pattern=r"^[0-9a-f]{8}$",
            description="The key's prefix, as `dyad keys list` shows it.",
            examples=["a8a50015"],
        ),
    ],
) -> ApiKeyPublic:
    """Revoke the key with this prefix; it is refused from then on."""
    return ApiKeyPublic.model_validate(service.revoke_key(session, prefix))
