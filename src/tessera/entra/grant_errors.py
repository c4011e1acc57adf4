"""Entra's errors for the grants beyond code, refresh and client credentials: device code
(``v2-oauth2-device-code``), on-behalf-of (``v2-oauth2-on-behalf-of-flow``), resource owner
password (``v2-oauth-ropc``) and managed identity, as :class:`EntraError` data. Codes whose
wording comes from real responses say so; the others follow Entra's error reference."""

from __future__ import annotations

from tessera.entra.errors import EntraError

# --- device code (RFC 8628 §3.5 error names) --------------------------------------------------


def authorization_pending() -> EntraError:
    # Real response (learn.microsoft.com Q&A 981553).
    return EntraError(
        "authorization_pending",
        70016,
        "The provided request has not yet been authorized by the user. The user must input their code.",
    )


def slow_down(interval: int) -> EntraError:
    return EntraError(
        "slow_down",
        70016,
        f"The client is polling too frequently. Wait at least {interval} seconds between requests.",
    )


def device_code_expired() -> EntraError:
    return EntraError(
        "expired_token",
        70020,
        "The provided value for the input parameter 'device_code' is not valid. This device code has "
        "expired.",
    )


def device_code_declined() -> EntraError:
    return EntraError("authorization_declined", 70019, "The user declined the authorization request.")


def device_code_unknown() -> EntraError:
    return EntraError(
        "bad_verification_code",
        70000,
        "The provided value for the input parameter 'device_code' is not valid. It was not issued by "
        "this tenant, or it was already redeemed.",
    )


# --- on-behalf-of ----------------------------------------------------------------------------


def assertion_invalid(reason: str) -> EntraError:
    return EntraError("invalid_grant", 50013, f"Assertion failed signature validation. [Reason - {reason}]")


def assertion_expired() -> EntraError:
    return EntraError("invalid_grant", 500133, "Assertion is not within its valid time range.")


def assertion_audience(client_id: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        500131,
        f"Assertion audience does not match the Client app presenting the assertion. The audience in "
        f"the assertion was not the client '{client_id}' or one of its identifier URIs.",
    )


def assertion_not_for_a_user() -> EntraError:
    return EntraError(
        "invalid_grant",
        500341,
        "The on-behalf-of flow needs an assertion that represents a user; an app-only token carries "
        "no user to act for.",
    )


def requested_token_use() -> EntraError:
    return EntraError(
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'requested_token_use' with the value "
        "'on_behalf_of'.",
    )


# --- resource owner password -------------------------------------------------------------------


def federated_user_password(user: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        50126,
        f"Error validating credentials due to invalid username or password. The account {user} is "
        "federated: its password is checked by its identity provider, which the resource owner "
        "password grant cannot reach.",
    )


def mfa_required(resource: str) -> EntraError:
    return EntraError(
        "invalid_grant",
        50076,
        "Due to a configuration change made by your administrator, or because you moved to a new "
        f"location, you must use multi-factor authentication to access '{resource}'.",
        suberror="basic_action",
    )


# --- managed identity --------------------------------------------------------------------------


def no_managed_identity(detail: str) -> EntraError:
    return EntraError("invalid_request", 400, f"Identity not found. {detail}")
