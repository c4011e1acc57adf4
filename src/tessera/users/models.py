"""Request bodies of the user, sign-in and token endpoints, as OpenMetadata's schemas define
them (``loginRequest``, ``logoutRequest``, ``tokenRefreshRequest``, ``generateToken``,
``revokeToken``, ``revokePersonalToken``). FastAPI parses them; a missing or mistyped field is a
400 that names it, and an unknown field is refused as OpenMetadata's schemas refuse it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoginRequest(_Body):
    email: str = Field(description="The user's email or name.")
    password: str = Field(description="The password, base64-encoded as OpenMetadata's client sends it.")


class TokenRefreshRequest(_Body):
    refreshToken: str


class LogoutRequest(_Body):
    # OpenMetadata requires it; tessera signs out the token of the request when it is left out.
    token: str | None = None
    refreshToken: str | None = None
    username: str | None = None
    logoutTime: str | int | None = None


class GenerateTokenRequest(_Body):
    # Days as a string ("1", "7", "30", "60", "90"), "OneHour" or "Unlimited" (refused).
    JWTTokenExpiry: str = "30"
    id: str | None = None


class RevokeTokenRequest(_Body):
    id: str = Field(description="The bot user's id.")


class RevokePersonalTokensRequest(_Body):
    tokenIds: list[str] | None = None
