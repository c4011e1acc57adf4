"""Errors as Entra ID sends them, as data.

Every failure is an :class:`EntraError` carrying the OAuth 2.0 ``error`` (RFC 6749 §5.2), the
AADSTS code, the message and the HTTP status. Grants and endpoints raise them; ``app.py``
renders them in one place, in one of three ways Entra uses:

- the token endpoint's JSON body (``reference-error-codes``; RFC 6749 §5.2 plus Entra's
  ``error_codes``, ``timestamp``, ``trace_id``, ``correlation_id`` and ``error_uri``);
- an error *page* for authorize requests that cannot be redirected (unknown ``client_id``,
  unregistered ``redirect_uri``): :class:`SignInPageError`;
- a redirect to the client's ``redirect_uri`` (RFC 6749 §4.1.2.1): :class:`RedirectError`.

The description is ``AADSTS{code}: {message}`` followed by Entra's ``Trace ID``,
``Correlation ID`` and ``Timestamp`` lines, separated by CRLF as Entra does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class EntraError(Exception):
    error: str
    code: int
    message: str
    status: int = 400
    suberror: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.error}: AADSTS{self.code}: {self.message}"


@dataclass
class SignInPageError(Exception):
    """An authorize failure shown as a page: Entra never redirects to an unverified URI."""

    cause: EntraError


@dataclass
class RedirectError(Exception):
    """An authorize failure sent back to the (verified) ``redirect_uri``."""

    cause: EntraError
    redirect_uri: str
    response_mode: str
    state: str | None


@dataclass
class ManagedIdentityError(Exception):
    """A refusal of a managed identity endpoint, in that endpoint's own shape: IMDS answers
    ``{"error", "error_description"}``, App Service ``{"statusCode", "message"}``."""

    status: int
    error: str
    description: str
    app_service: bool = False


@dataclass(frozen=True)
class ErrorContext:
    """The ids Entra puts in every error, and the origin its ``error_uri`` points to."""

    trace_id: str
    correlation_id: str
    when: datetime
    origin: str

    @classmethod
    def new(cls, origin: str, correlation_id: str | None, now: float) -> ErrorContext:
        return cls(
            trace_id=str(uuid.uuid4()),
            correlation_id=correlation_id or str(uuid.uuid4()),
            when=datetime.fromtimestamp(now, tz=UTC),
            origin=origin,
        )

    @property
    def timestamp(self) -> str:
        return self.when.strftime("%Y-%m-%d %H:%M:%SZ")


def description(err: EntraError, ctx: ErrorContext) -> str:
    return (
        f"AADSTS{err.code}: {err.message}\r\nTrace ID: {ctx.trace_id}\r\n"
        f"Correlation ID: {ctx.correlation_id}\r\nTimestamp: {ctx.timestamp}"
    )


def error_body(err: EntraError, ctx: ErrorContext) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": err.error,
        "error_description": description(err, ctx),
        "error_codes": [err.code],
        "timestamp": ctx.timestamp,
        "trace_id": ctx.trace_id,
        "correlation_id": ctx.correlation_id,
        "error_uri": f"{ctx.origin}/error?code={err.code}",
    }
    if err.suberror:
        body["suberror"] = err.suberror
    return body


def redirect_params(err: EntraError, ctx: ErrorContext) -> dict[str, str]:
    params = {
        "error": err.error,
        "error_description": description(err, ctx),
        "error_uri": f"{ctx.origin}/error?code={err.code}",
    }
    if err.suberror:
        params["suberror"] = err.suberror
    return params


# --- One factory per AADSTS code. Texts are Entra's (reference: entra-id.md §2.4). ----------


def invalid_instance(instance: str) -> EntraError:
    return EntraError(
        "invalid_instance",
        50049,
        f"Unknown or invalid instance. The instance '{instance}' is not served by this emulator.",
    )


def missing_parameter(name: str) -> EntraError:
    return EntraError(
        "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'."
    )


def post_only(method: str) -> EntraError:
    return EntraError(
        "invalid_request",
        900561,
        f"The endpoint only accepts POST, OPTIONS requests. Received a {method} request.",
    )


def unsupported_grant_type(grant_type: str) -> EntraError:
    return EntraError(
        "unsupported_grant_type",
        70003,
        f"The app requested an unsupported grant type '{grant_type}'.",
    )


def tenant_not_found(tenant: str) -> EntraError:
    return EntraError(
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud. Check with your subscription administrator, this may "
        "happen if there are no active subscriptions for the tenant.",
    )


def no_tenant_information() -> EntraError:
    # client_credentials against /common or /organizations: there is no user to pick a tenant.
    return EntraError(
        "invalid_request",
        50059,
        "No tenant-identifying information found in either the request or implied by any "
        "provided credentials.",
    )


def application_not_found(app_id: str, tenant_name: str) -> EntraError:
    return EntraError(
        "unauthorized_client",
        700016,
        f"Application with identifier '{app_id}' was not found in the directory '{tenant_name}'. "
        "This can happen if the application has not been installed by the administrator of the "
        "tenant or consented to by any user in the tenant. You may have sent your authentication "
        "request to the wrong tenant.",
    )


def invalid_application_identifier(app_id: str) -> EntraError:
    # The all-zero GUID (an unfilled template, e.g. Azure/Commercial-Marketplace-SaaS-Accelerator
    # #748) is refused before any directory lookup.
    return EntraError("unauthorized_client", 700038, f"{app_id} is not a valid application identifier.")


def not_multi_tenant(app_id: str, name: str) -> EntraError:
    return EntraError(
        "invalid_request",
        50194,
        f"Application '{app_id}'({name}) is not configured as a multi-tenant application. Usage of "
        "the /common endpoint is not supported for such applications created after '10/15/2018'. "
        "Use a tenant-specific endpoint or configure the application to be multi-tenant.",
    )


def invalid_client_secret(app_id: str) -> EntraError:
    return EntraError(
        "invalid_client",
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the client "
        f"secret value, not the client secret ID, for a secret added to app '{app_id}'.",
        status=401,
    )


def expired_client_secret(app_id: str) -> EntraError:
    return EntraError(
        "invalid_client",
        7000222,
        f"The provided client secret keys for app '{app_id}' are expired. Visit the Azure portal to "
        "create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
        "certificate credentials for added security: https://aka.ms/certCreds.",
        status=401,
    )


def missing_client_credential() -> EntraError:
    return EntraError(
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        status=401,
    )


def public_client_with_credential() -> EntraError:
    return EntraError(
        "invalid_client",
        700025,
        "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        status=401,
    )


def invalid_client_assertion(reason: str) -> EntraError:
    return EntraError(
        "invalid_client", 700027, f"Client assertion failed signature validation. {reason}", status=401
    )


def client_assertion_expired() -> EntraError:
    return EntraError(
        "invalid_client", 700024, "Client assertion is not within its valid time range.", status=401
    )


def client_assertion_audience(audience: object) -> EntraError:
    return EntraError(
        "invalid_client",
        50012,
        f"Client assertion audience claim does not match Realm issuer. Review the documentation at "
        f"https://aka.ms/certCreds . Audience: '{audience}'.",
        status=401,
    )


def client_assertion_invalid(reason: str) -> EntraError:
    return EntraError("invalid_client", 50027, f"JWT token is invalid or malformed. {reason}", status=401)


def unsupported_assertion_type() -> EntraError:
    return EntraError(
        "invalid_client",
        50027,
        "The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
        status=401,
    )


def scope_missing() -> EntraError:
    return EntraError(
        "invalid_request",
        90014,
        "The required field 'scope' is missing from the credential. Ensure that you have all the "
        "necessary parameters for the login request.",
    )


def client_credentials_scope(scope: str) -> EntraError:
    return EntraError(
        "invalid_scope",
        1002012,
        f"The provided value for scope {scope} is not valid. Client credential flows must have a "
        "scope value with /.default suffixed to the resource identifier (application ID URI).",
    )


def invalid_scope(scope: str) -> EntraError:
    return EntraError(
        "invalid_scope",
        70011,
        f"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.",
    )


def several_resources(scope: str) -> EntraError:
    return EntraError(
        "invalid_scope",
        28000,
        "Provided value for the input parameter scope is not valid because it contains more than "
        f"one resource. Scope {scope} is not valid.",
    )


def resource_not_found(resource: str, tenant_name: str) -> EntraError:
    return EntraError(
        "invalid_resource",
        500011,
        f"The resource principal named {resource} was not found in the tenant named {tenant_name}. "
        "This can happen if the application has not been installed by the administrator of the "
        "tenant or consented to by any user in the tenant. You might have sent your authentication "
        "request to the wrong tenant.",
    )


def resource_not_provided() -> EntraError:
    # The v1 endpoints name the resource with `resource`; a token request without one gets this
    # (real responses quoted in MicrosoftDocs/azure-docs#67544, MicrosoftDocs/powerapps-docs#1161;
    # before about 2019 the code was 50001, same text, error `invalid_resource`).
    return EntraError("invalid_resource", 500013, "Resource identifier is not provided.")


def redirect_uri_mismatch(redirect_uri: str, app_id: str) -> EntraError:
    return EntraError(
        "invalid_request",
        50011,
        f"The redirect URI '{redirect_uri}' specified in the request does not match the redirect "
        f"URIs configured for the application '{app_id}'. Make sure the redirect URI sent in the "
        "request matches one added to your application in the Azure portal. Navigate to "
        "https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
    )


def reply_address_mismatch(sent: str, original: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        500112,
        f"The reply address '{sent}' does not match the reply address '{original}' provided when "
        "requesting Authorization code.",
    )


def consent_required(app_id: str, name: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        65001,
        f"The user or administrator has not consented to use the application with ID '{app_id}' "
        f"named '{name}'. Send an interactive authorization request for this user and resource.",
        suberror="consent_required",
    )


def consent_required_redirect(app_id: str, name: str) -> EntraError:
    err = consent_required(app_id, name)
    err.error = "consent_required"
    return err


def code_redeemed() -> EntraError:
    return EntraError(
        "invalid_grant",
        54005,
        "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use "
        "an existing refresh token.",
    )


def code_invalid() -> EntraError:
    return EntraError(
        "invalid_grant",
        70000,
        "The provided value for the 'code' parameter is not valid. The code may have been issued to "
        "a different client.",
    )


def code_other_tenant() -> EntraError:
    return EntraError(
        "invalid_grant",
        700005,
        "Provided Authorization Code is intended to use against other tenant, thus rejected.",
    )


def grant_expired() -> EntraError:
    return EntraError(
        "invalid_grant",
        70008,
        "The provided authorization code or refresh token has expired due to inactivity. Send a new "
        "interactive authorization request for this user and resource.",
    )


def pkce_mismatch() -> EntraError:
    return EntraError(
        "invalid_grant",
        501481,
        "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
    )


def spa_requires_origin() -> EntraError:
    return EntraError(
        "invalid_request",
        9002327,
        "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via "
        "cross-origin requests.",
    )


def origin_requires_spa(origin: str) -> EntraError:
    return EntraError(
        "invalid_request",
        9002326,
        "Cross-origin token redemption is permitted only for the 'Single-Page Application' "
        f"client-type. Request origin: '{origin}'.",
    )


def cross_origin_requires_pkce() -> EntraError:
    return EntraError(
        "invalid_request",
        9002325,
        "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
    )


def credential_with_origin() -> EntraError:
    # Documented as refused ("reply-url": SPA may not use client credentials), code undocumented;
    # Entra reports confidential-credential misuse by public clients with 700025.
    err = public_client_with_credential()
    err.message += " Client credentials must not be sent from a browser (cross-origin request)."
    return err


def refresh_token_invalid() -> EntraError:
    return EntraError("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")


def refresh_token_revoked(issued: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The "
        f"refresh token was already redeemed; its whole family is now revoked. The grant was issued "
        f"on '{issued}'.",
    )


def spa_refresh_token_expired(issued: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        700084,
        "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited "
        "lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in "
        f"request must be sent by the SPA to the sign in page. The token was issued on {issued}.",
    )


def refresh_token_client_mismatch() -> EntraError:
    return EntraError(
        "invalid_grant",
        70000,
        "Provided grant is invalid or malformed. The refresh token was issued to a different client.",
    )


def not_assigned_to_role(client_app_id: str, resource_app_id: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        501051,
        f"Application '{client_app_id}'(client) is not assigned to a role for the application "
        f"'{resource_app_id}'(resource).",
    )


def user_not_assigned(user: str, app_id: str, name: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        50105,
        f"Your administrator has configured the application {name} ('{app_id}') to block users "
        f"unless they are specifically granted ('assigned') access to the application. The signed "
        f"in user '{user}' is blocked because they are not a direct member of a group with access, "
        "nor had access directly assigned by an administrator.",
    )


def response_type_not_enabled(response_type: str) -> EntraError:
    return EntraError(
        "unsupported_response_type",
        700054,
        f"response_type '{response_type}' is not enabled for the application.",
    )


def unsupported_response_type(
    response_type: str, expected: str = "code, id_token, code id_token, id_token token"
) -> EntraError:
    return EntraError(
        "unsupported_response_type",
        70005,
        f"The provided value for the input parameter 'response_type' is not allowed for this "
        f"request. Expected values: {expected}. Got: '{response_type}'.",
    )


def unsupported_response_mode(mode: str, for_tokens: bool) -> EntraError:
    what = " when requesting a token" if for_tokens else ""
    return EntraError(
        "invalid_request", 70007, f"'{mode}' is not a supported value of 'response_mode'{what}."
    )


def kerberos_not_emulated() -> EntraError:
    # Entra's /{tenant}/kerberos is a Kerberos KDC proxy (MS-KKDCP) for Windows sign-in; the
    # emulator publishes it in discovery, as Entra does, but speaks no Kerberos.
    return EntraError(
        "invalid_request",
        90100,
        "The parameter is empty or not valid. tessera.entra does not implement the Kerberos KDC "
        "proxy (MS-KKDCP) served at this endpoint.",
    )


def invalid_code_challenge_method() -> EntraError:
    return EntraError("invalid_request", 50149, "Invalid Code_Challenge_method parameter.")


def login_required() -> EntraError:
    return EntraError(
        "login_required",
        50058,
        "A silent sign-in request was sent but no user is signed in. The cookies used to represent "
        "the user's session were not sent in the request to Azure AD.",
    )


def bad_credentials() -> EntraError:
    return EntraError(
        "invalid_grant",
        50126,
        "Error validating credentials due to invalid username or password.",
    )


def user_not_found(user: str, tenant_name: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        50034,
        f"The user account {user} does not exist in the {tenant_name} directory. To sign into this "
        "application, the account must be added to the directory.",
    )


def user_disabled() -> EntraError:
    return EntraError("invalid_grant", 50057, "The user account is disabled.")


def consent_declined() -> EntraError:
    return EntraError(
        "access_denied",
        65004,
        "User declined to consent to access the app.",
    )


def admin_consent_needed(app_id: str, name: str) -> EntraError:
    return EntraError(
        "access_denied",
        90094,
        f"The grant requires admin permission. The application '{name}' ('{app_id}') asks for "
        "permissions that only an administrator can grant.",
    )


def admin_consent_refused(user: str) -> EntraError:
    return EntraError(
        "access_denied",
        90094,
        f"The grant requires admin permission. {user} is not an administrator of this directory: "
        "ask one to grant consent for the tenant.",
    )


def invalid_token(reason: str) -> EntraError:
    return EntraError("invalid_token", 50000, reason, status=401)
