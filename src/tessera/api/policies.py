"""``GET /api/v1/policies/validation/condition/{expression}``: whether a rule's condition is one
tessera accepts, as OpenMetadata's PolicyResource.validateCondition answers it (204, or 400 with
the reason). Policy editors check a condition while it is written, before the policy is saved.

tessera's conditions are a fixed grammar of known functions (``auth/conditions.py``), never an
evaluated expression; the message names the unknown function or the syntax error.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tessera.api.deps import authorize_in_handler
from tessera.auth import conditions

router = APIRouter(prefix="/api/v1/policies", tags=["policies"])


# Any signed-in caller: it reads nothing and changes nothing.
@router.get(
    "/validation/condition/{expression:path}", status_code=204, dependencies=[authorize_in_handler("policy")]
)
async def validate_condition(expression: str) -> Response:
    conditions.parse(expression)
    return Response(status_code=204)
