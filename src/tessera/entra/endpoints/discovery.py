"""Metadata endpoints: OpenID Connect Discovery 1.0 documents (v2 and v1), the JWKS (RFC 7517)
and Entra's instance discovery (``/common/discovery/instance``), with Entra's field order and
values (``v2-protocols-oidc``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tessera.entra import errors, tenants
from tessera.entra.directory import directory_user_by_login, find_tenant
from tessera.entra.render import json_response
from tessera.entra.state import emulator

_CLAIMS_SUPPORTED = [
    "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
    "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name",
    "tid", "ver", "at_hash", "c_hash", "email",
]  # fmt: skip


def _path(request: Request) -> tenants.TenantPath:
    st = emulator(request)
    with st.store.transaction() as s:
        return tenants.resolve(s, request.path_params["tenant"])


def _issuer_tenant(path: tenants.TenantPath) -> str:
    # `consumers` is one tenant, the personal accounts'; `common` and `organizations` documents
    # carry the literal placeholder, as Entra's do.
    if path.segment == "consumers":
        return tenants.CONSUMERS_TENANT_ID
    return path.tenant_id or "{tenantid}"


def _endpoint_tenant(path: tenants.TenantPath) -> str:
    """The segment Entra's endpoints carry: the tenant GUID, even for a document fetched by
    domain name (MSAL's ``authority.tenant`` and several CLIs read it there), or the alias."""
    return path.tenant_id or path.segment


async def openid_configuration_v2(request: Request) -> Response:
    st = emulator(request)
    path = _path(request)
    origin = st.origin(request)
    base = f"{origin}/{_endpoint_tenant(path)}"
    doc: dict[str, Any] = {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": tenants.v2_issuer(origin, _issuer_tenant(path)),
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{origin}/oidc/userinfo",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "claims_supported": _CLAIMS_SUPPORTED,
        "kerberos_endpoint": f"{base}/kerberos",
        "tenant_region_scope": None if path.is_alias else "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }
    return json_response(doc)


async def openid_configuration_v1(request: Request) -> Response:
    st = emulator(request)
    path = _path(request)
    origin = st.origin(request)
    base = f"{origin}/{_endpoint_tenant(path)}"
    doc: dict[str, Any] = {
        "token_endpoint": f"{base}/oauth2/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base}/discovery/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
        "scopes_supported": ["openid"],
        "issuer": tenants.v1_issuer(origin, _issuer_tenant(path)),
        "microsoft_multi_refresh_token": True,
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/logout",
        "claims_supported": [
            "sub",
            "iss",
            "cloud_instance_name",
            "cloud_instance_host_name",
            "cloud_graph_host_name",
            "msgraph_host",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "amr",
            "nonce",
            "email",
            "given_name",
            "family_name",
            "nickname",
        ],
        "check_session_iframe": f"{base}/oauth2/checksession",
        "userinfo_endpoint": f"{origin}/oidc/userinfo",
        "tenant_region_scope": None if path.is_alias else "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }
    return json_response(doc)


async def keys(request: Request) -> Response:
    """v2 and v1 key sets: the same keys; each key names the issuer it signs for."""
    st = emulator(request)
    path = _path(request)
    origin = st.origin(request)
    return json_response(st.keys.jwks(tenants.v2_issuer(origin, _issuer_tenant(path))))


async def instance_discovery(request: Request) -> Response:
    """``/common/discovery/instance``: the emulator knows one instance, itself."""
    st = emulator(request)
    origin = st.origin(request)
    netloc = urlsplit(origin).netloc
    host = urlsplit(origin).hostname or ""
    endpoint = request.query_params.get("authorization_endpoint", "")
    parts = urlsplit(endpoint)
    # MSAL Python sends the host without its port; MSAL.js with it.
    if parts.hostname not in (host, "localhost", "127.0.0.1") and parts.netloc != netloc:
        raise errors.invalid_instance(parts.netloc or endpoint)
    tenant = parts.path.strip("/").split("/")[0] or "common"
    return json_response(
        {
            "tenant_discovery_endpoint": f"{origin}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {
                    "preferred_network": netloc,
                    "preferred_cache": netloc,
                    "aliases": [netloc, host] if netloc != host else [netloc],
                }
            ],
        }
    )


async def kerberos(request: Request) -> Response:
    """``kerberos_endpoint`` of the v2 document: named, as in Entra's, but not spoken."""
    if request.method != "POST":
        raise errors.post_only(request.method)
    _path(request)  # an unknown tenant fails as everywhere else (AADSTS90002)
    raise errors.kerberos_not_emulated()


async def error_info(request: Request) -> Response:
    """The page an ``error_uri`` points to."""
    code = request.query_params.get("code", "")
    return json_response(
        {"code": code, "description": f"AADSTS{code}: see the error_description of the response."}
    )


async def user_realm(request: Request) -> Response:
    """``/common/userrealm/{username}``: home realm discovery, which MSAL's username/password flow
    asks first. Every account here is ``Managed``: for a ``Federated`` answer MSAL would fetch
    its identity provider's WS-Trust metadata, which the emulator does not speak; a federated
    user's password is refused at the token endpoint instead (AADSTS50126)."""
    st = emulator(request)
    username = request.path_params["username"]
    domain = username.rpartition("@")[2].lower()
    with st.store.transaction() as s:
        known = find_tenant(s, domain) is not None or directory_user_by_login(s, None, username) is not None
    return json_response(
        {
            "ver": "1.0",
            "account_type": "Managed" if known else "Unknown",
            "domain_name": domain,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_audience_urn": "urn:federation:MicrosoftOnline",
        }
    )
