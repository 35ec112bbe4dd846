"""Managing API keys over HTTP, for admins."""

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.keys import service
from app.keys.auth import require
from app.keys.models import ApiKeyPublic, Scope

router = APIRouter(
    prefix="/v1/keys",
    tags=["keys"],
    dependencies=[require(Scope.admin)],
    responses=problem_responses(401, 403),
)


class KeyCreate(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(
        min_length=1,
        max_length=100,
        description="Who or what will use the key; revisions record it as `key_name`.",
        examples=["newsroom-editor"],
    )
    scope: Scope = Field(
        default=Scope.read,
        description="`read` (the default), `write` (also reads) or `admin` (also manages keys).",
        examples=["write"],
    )


class KeyCreated(ApiKeyPublic):
    key: str = Field(
        description="The key itself: shown this once, stored only as a hash.",
        examples=["dyad_a8a50015_q9Xr2LmZ0dWcB1vT8sYkPn4fJ7uHeA5oRi3Ng6Ct-Qw"],
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
