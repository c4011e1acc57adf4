"""The confidential client's server side (``clientType: confidential``, OpenMetadata's
recommended mode since 1.3): the authorization code flow with PKCE run by the server through
MSAL Python, with the catalog's client secret.

OpenID Connect Core 1.0 §3.1 (code flow; state against login CSRF, nonce against replay),
RFC 7636 (PKCE, which Entra supports for web apps too and tessera always uses, whatever
``OIDC_DISABLE_PKCE`` says), RFC 6749 §6 (refresh), OpenID Connect RP-Initiated Logout 1.0 §2.

The flow's secrets (PKCE verifier, state, nonce) travel in a sealed, HttpOnly cookie of the
browser that started the sign-in, so a response can only complete the sign-in of the browser
that asked for it, and nothing is stored for a sign-in that is never finished. Entra's tokens
stay on the server: the browser holds an opaque session cookie only.

Entra answers with ``response_mode=form_post`` (what MSAL requires of web apps): a POST from
Entra's site, which carries no ``SameSite=Lax`` cookie. The server seals the answer and sends
the browser on to a GET of ``/callback`` (a top-level navigation, which does carry it), where
the sign-in completes: the code never appears in a URL in the clear, and the flow cookie need
not be ``SameSite=None``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from msal.exceptions import MsalError

from tessera.auth.graph import first_line, msal_app
from tessera.config import Settings
from tessera.errors import ConfigError, NotAuthenticated, ServiceUnavailable
from tessera.secrets.box import SecretBox

# MSAL adds these itself and refuses them in a list of scopes.
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})
FLOW_MAX_AGE_S = 600
# What each sealed value is for, so that one can never be passed off as the other.
_FLOW = "tessera-signin-flow\0"
_ANSWER = "tessera-signin-answer\0"


@dataclass(frozen=True)
class Tokens:
    """What Entra answered for a person: kept on the server, never sent to the browser."""

    id_token: str
    refresh_token: str | None
    expires_in: int
    login_hint: str | None


@dataclass(frozen=True)
class Pending:
    """A sign-in started by a browser, as its sealed cookie carries it."""

    flow: dict[str, Any]
    next_path: str | None
    test: bool


class ConfidentialClient:
    def __init__(
        self,
        settings: Settings,
        box: SecretBox,
        http: httpx.Client,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._auth = settings.authenticationConfiguration
        self._oidc = self._auth.oidcConfiguration
        self._box = box
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._app: Any = None
        self._end_session: str | None = None
        server = (self._oidc.serverUrl or settings.server.publicUrl or "").rstrip("/")
        self.callback_url = self._oidc.callbackUrl or (f"{server}/callback" if server else "")
        if not self.callback_url:
            raise ConfigError(
                "clientType confidential needs the absolute callback URL Entra ID returns to: set "
                "OIDC_CALLBACK (oidcConfiguration.callbackUrl), or OIDC_SERVER_URL / TESSERA_PUBLIC_URL "
                "so that it is <server>/callback"
            )
        self.scopes = [s for s in self._oidc.scope.split() if s not in _RESERVED_SCOPES]

    # -- the flow -----------------------------------------------------------------------------

    def begin(
        self, *, next_path: str | None, test: bool = False, prompt: str | None = None
    ) -> tuple[str, str]:
        """The authorization URL to send the browser to, and the sealed cookie value that
        completes it."""
        flow = self._msal().initiate_auth_code_flow(
            self.scopes,
            redirect_uri=self.callback_url,
            prompt=prompt or self._oidc.prompt or None,
            max_age=self._oidc.maxAge or None,
            response_mode="form_post",
        )
        auth_uri = str(flow.pop("auth_uri"))
        state = {"flow": flow, "next": next_path, "test": test, "at": int(self._clock())}
        return auth_uri, self._seal(_FLOW, state)

    def seal_answer(self, answer: Mapping[str, str]) -> str:
        """Entra's form_post answer, sealed for the GET that completes the sign-in."""
        return self._seal(_ANSWER, {"answer": dict(answer), "at": int(self._clock())})

    def open_answer(self, sealed: str) -> dict[str, str]:
        data = self._open(_ANSWER, sealed, "sign-in response")
        return {str(k): str(v) for k, v in dict(data["answer"]).items()}

    def pending(self, sealed: str | None) -> Pending:
        if not sealed:
            raise NotAuthenticated(
                "This sign-in response does not belong to a sign-in started in this browser (its cookie is "
                "missing: cookies blocked, or another browser). Sign in again"
            )
        data = self._open(_FLOW, sealed, "sign-in cookie")
        return Pending(flow=dict(data["flow"]), next_path=data.get("next"), test=bool(data.get("test")))

    def _seal(self, purpose: str, value: Mapping[str, Any]) -> str:
        return self._box.seal(purpose + orjson.dumps(value).decode())

    def _open(self, purpose: str, sealed: str, what: str) -> dict[str, Any]:
        try:
            opened = self._box.open(sealed) if self._box.is_sealed(sealed) else ""
            data = orjson.loads(opened.removeprefix(purpose)) if opened.startswith(purpose) else None
        except (ConfigError, orjson.JSONDecodeError):
            data = None
        if not isinstance(data, dict):
            raise NotAuthenticated(f"This {what} cannot be read; sign in again")
        if self._clock() - int(data.get("at", 0)) > FLOW_MAX_AGE_S:
            raise NotAuthenticated("This sign-in was started more than 10 minutes ago; sign in again")
        return data

    def finish(self, pending: Pending, response: Mapping[str, str]) -> Tokens:
        """Redeem the authorization response (RFC 6749 §4.1.2) with the verifier and the secret."""
        if response.get("error"):
            described = first_line(response.get("error_description"))
            raise NotAuthenticated(
                f"Entra ID refused the sign-in: {response['error']}" + (f": {described}" if described else "")
            )
        try:
            result = self._msal().acquire_token_by_auth_code_flow(pending.flow, dict(response))
        except ValueError:
            # MSAL's own check of state (RFC 6749 §10.12) and of the redirect.
            raise NotAuthenticated(
                "The sign-in response's state does not match the sign-in this browser started, so it was "
                "refused. Sign in again"
            ) from None
        except RuntimeError:
            raise NotAuthenticated(
                "The ID token's nonce does not match the sign-in request, so it was refused. Sign in again"
            ) from None
        except (OSError, MsalError) as exc:
            raise ServiceUnavailable(
                f"Entra ID could not be reached to finish the sign-in: {first_line(exc)}"
            ) from None
        return self._tokens(result, "redeem the authorization code")

    def refresh(self, refresh_token: str) -> Tokens:
        """A silent refresh by the server (RFC 6749 §6)."""
        try:
            result = self._msal().acquire_token_by_refresh_token(refresh_token, self.scopes)
        except (ValueError, OSError, MsalError) as exc:
            raise ServiceUnavailable(
                f"Entra ID could not be reached to renew the session ({first_line(exc)}); try again shortly"
            ) from None
        return self._tokens(result, "renew the session")

    def _tokens(self, result: Mapping[str, Any], doing: str) -> Tokens:
        if "error" in result or "id_token" not in result:
            error = str(result.get("error", "no ID token"))
            described = first_line(result.get("error_description"))
            if error in ("temporarily_unavailable", "server_error") or str(
                result.get("status", "")
            ).startswith("5"):
                raise ServiceUnavailable(
                    f"Entra ID could not {doing} right now ({error}: {described}); try again"
                )
            raise NotAuthenticated(
                f"Entra ID refused to {doing}: {error}" + (f": {described}" if described else "")
            )
        claims = result.get("id_token_claims") or {}
        hint = claims.get("login_hint")
        return Tokens(
            id_token=str(result["id_token"]),
            refresh_token=result.get("refresh_token"),
            expires_in=int(result.get("expires_in") or 3600),
            login_hint=str(hint) if hint else None,
        )

    def logout_url(self, login_hint: str | None, post_logout: str) -> str | None:
        """Entra's end-session URL (RP-Initiated Logout 1.0 §2), returning to ``post_logout``;
        None when the provider publishes no end-session endpoint."""
        endpoint = self._end_session_endpoint()
        if not endpoint:
            return None
        query = {"post_logout_redirect_uri": post_logout, "client_id": self._oidc.id}
        if login_hint:
            query["logout_hint"] = login_hint
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"

    def _end_session_endpoint(self) -> str | None:
        if self._end_session is None:
            url = f"{self._auth.authority.rstrip('/')}/v2.0/.well-known/openid-configuration"
            try:
                response = self._http.get(url)
                response.raise_for_status()
                self._end_session = str(response.json().get("end_session_endpoint") or "")
            except (httpx.HTTPError, ValueError):
                return None
        return self._end_session or None

    def _msal(self) -> Any:
        with self._lock:
            if self._app is None:
                try:
                    self._app = msal_app(self._auth, remember=False)
                except (ValueError, OSError, MsalError) as exc:
                    raise ServiceUnavailable(
                        f"Entra ID at {self._auth.authority} cannot be reached: {first_line(exc)}"
                    ) from None
            return self._app
