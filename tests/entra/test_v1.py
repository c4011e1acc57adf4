"""The v1 endpoints the v1 discovery document names: authorize and token with ``resource``
instead of scopes, v1-shaped answers and ID tokens, sign-out and the session iframe; and every
URL of both discovery documents answers (no bare 404)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import sign_in
from .test_auth_code import NATIVE_REDIRECT, _native_client
from .test_client_credentials import _jwks_client

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _v1_token(http: httpx.Client, demo: DemoTenant, **form: str) -> httpx.Response:
    return http.post(f"{demo.authority}/oauth2/token", data=form)


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _endpoint_urls(doc: dict[str, Any], origin: str) -> dict[str, str]:
    """The emulator's URLs in a discovery document (the issuer is a name, not an endpoint)."""
    return {k: v for k, v in doc.items() if isinstance(v, str) and v.startswith(origin) and k != "issuer"}


@pytest.mark.parametrize("segment", ["tenant_id", "domain", "common"])
def test_every_url_of_both_discovery_documents_answers(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client, segment: str
) -> None:
    tenant = getattr(demo, segment, segment)
    seen = set()
    for path in ("v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"):
        doc = http.get(f"{entra.base_url}/{tenant}/{path}").json()
        urls = _endpoint_urls(doc, entra.base_url)
        assert {"token_endpoint", "authorization_endpoint", "jwks_uri", "end_session_endpoint"} <= set(urls)
        for name, url in urls.items():
            seen.add(name)
            for method in ("GET", "POST"):
                response = http.request(method, url)
                # 405 only for the method the endpoint is not meant for (a POST to the keys).
                meant = "POST" if name in ("token_endpoint", "kerberos_endpoint") else "GET"
                refused = (404,) if method != meant else (404, 405)
                assert response.status_code not in refused, (name, method, url, response.text[:300])
                if response.headers["content-type"].startswith("application/json") and (
                    response.status_code >= 400 and name != "userinfo_endpoint"  # Graph's error shape
                ):
                    body = response.json()
                    code = body["error_codes"][0]
                    assert body["error_description"].startswith(f"AADSTS{code}: "), body
    assert {"check_session_iframe", "kerberos_endpoint", "userinfo_endpoint"} <= seen


def test_v1_client_credentials_with_resource(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    """What ADAL and other v1 clients send: ``resource``, no scope; a v1-shaped answer."""
    response = _v1_token(
        http,
        demo,
        grant_type="client_credentials",
        client_id=demo.ingestion_client_id,
        client_secret=demo.ingestion_secret,
        resource=demo.ingestion_app_id_uri,
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("no-store")
    body = response.json()
    assert list(body) == [
        "token_type", "expires_in", "ext_expires_in", "expires_on", "not_before", "resource", "access_token",
    ]  # fmt: skip
    assert body["token_type"] == "Bearer"
    # v1 answers with strings, and says when the token expires.
    assert body["expires_in"] == body["ext_expires_in"] == "3599"
    # not_before is the token's nbf, back-dated five minutes as Entra does.
    assert int(body["expires_on"]) - int(body["not_before"]) == 3599 + 300
    assert body["resource"] == demo.ingestion_app_id_uri
    # The token validates against the v1 document's issuer and keys, audience as requested.
    v1 = http.get(f"{demo.authority}/.well-known/openid-configuration").json()
    token = body["access_token"]
    key = _jwks_client(entra, v1["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=demo.ingestion_app_id_uri, issuer=v1["issuer"]
    )
    assert claims["ver"] == "1.0"
    assert claims["appid"] == demo.ingestion_client_id
    assert claims["oid"] == demo.ingestion_object_id
    assert "scp" not in claims
    # HTTP Basic and the resource named by its appId work too; the audience follows the request.
    by_app_id = http.post(
        f"{demo.authority}/oauth2/token",
        data={"grant_type": "client_credentials", "resource": demo.ingestion_client_id},
        auth=(demo.ingestion_client_id, demo.ingestion_secret),
    ).json()
    assert by_app_id["resource"] == demo.ingestion_client_id
    assert _claims(by_app_id["access_token"])["aud"] == demo.ingestion_client_id


def test_v1_endpoint_issues_the_version_the_resource_asks_for(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, token_version=2)
    body = _v1_token(
        http,
        demo,
        grant_type="client_credentials",
        client_id=demo.ingestion_client_id,
        client_secret=demo.ingestion_secret,
        resource=demo.api_app_id_uri,
    ).json()
    claims = _claims(body["access_token"])
    assert claims["ver"] == "2.0"
    assert claims["aud"] == demo.ui_client_id
    assert claims["iss"] == f"{demo.authority}/v2.0"


@pytest.mark.parametrize(
    ("form", "status", "error", "code"),
    [
        ({}, 400, "invalid_resource", 500013),
        # v1 has no scope parameter for this grant: the resource is still missing.
        ({"scope": "api://x/.default"}, 400, "invalid_resource", 500013),
        ({"resource": "api://nothing-here"}, 400, "invalid_resource", 500011),
        ({"resource": "RESOURCE", "client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"resource": "RESOURCE", "client_secret": ""}, 401, "invalid_client", 7000218),
    ],
)
def test_v1_client_credentials_errors(
    demo: DemoTenant, http: httpx.Client, form: dict[str, str], status: int, error: str, code: int
) -> None:
    data = {
        "grant_type": "client_credentials",
        "client_id": demo.ingestion_client_id,
        "client_secret": demo.ingestion_secret,
        **form,
    }
    if data.get("resource") == "RESOURCE":
        data["resource"] = demo.ingestion_app_id_uri
    response = _v1_token(http, demo, **data)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    if code == 500013:
        assert body["error_description"].startswith("AADSTS500013: Resource identifier is not provided.")


def _v1_authorize_url(demo: DemoTenant, client_id: str, **extra: str) -> str:
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": NATIVE_REDIRECT,
        "state": "v1-state",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **extra,
    }
    return str(httpx.URL(f"{demo.authority}/oauth2/authorize", params=params))


def test_v1_authorization_code_and_refresh(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    client_id = _native_client(entra, demo)
    url = _v1_authorize_url(demo, client_id, resource=demo.api_app_id_uri)
    result = sign_in(http, url, demo.admin.user_principal_name, demo.admin.password)
    # No response_mode: a code comes back in the query, as on v2.
    location = urlsplit(result.response.headers["location"])
    assert location.fragment == ""
    answer = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert answer["state"] == "v1-state"
    assert answer["session_state"]
    response = _v1_token(
        http,
        demo,
        grant_type="authorization_code",
        client_id=client_id,
        code=answer["code"],
        redirect_uri=NATIVE_REDIRECT,
        code_verifier=VERIFIER,
        resource=demo.api_app_id_uri,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "3599"
    assert body["resource"] == demo.api_app_id_uri
    assert body["scope"] == "access_as_user"  # v1: without the resource prefix
    assert body["refresh_token"]
    access = _claims(body["access_token"])
    assert (access["aud"], access["scp"], access["oid"]) == (
        demo.api_app_id_uri,
        "access_as_user",
        demo.admin.id,
    )
    # A v1 ID token: sts-style issuer, upn and unique_name, ver 1.0.
    id_claims = _claims(body["id_token"])
    id_header = jwt.get_unverified_header(body["id_token"])
    assert id_header["x5t"] == id_header["kid"]  # v1 ID tokens carry x5t, as Entra's do
    assert id_claims["iss"] == f"{demo.authority}/"
    assert id_claims["ver"] == "1.0"
    assert id_claims["aud"] == client_id
    assert id_claims["upn"] == id_claims["unique_name"] == demo.admin.user_principal_name
    assert id_claims["amr"] == ["pwd"]
    assert "preferred_username" not in id_claims
    # The same code twice: Entra's AADSTS54005.
    again = _v1_token(
        http, demo, grant_type="authorization_code", client_id=client_id, code=answer["code"],
        redirect_uri=NATIVE_REDIRECT, code_verifier=VERIFIER, resource=demo.api_app_id_uri,
    ).json()  # fmt: skip
    assert again["error_codes"] == [54005]
    # The refresh token is a multi-resource one (microsoft_multi_refresh_token): Graph next.
    graph = _v1_token(
        http,
        demo,
        grant_type="refresh_token",
        client_id=client_id,
        refresh_token=body["refresh_token"],
        resource="https://graph.microsoft.com",
    ).json()
    assert graph["resource"] == "https://graph.microsoft.com"
    assert graph["scope"] == "User.Read"
    assert graph["refresh_token"] != body["refresh_token"]  # rotated
    # Without `resource`, the one the sign-in named.
    back = _v1_token(
        http, demo, grant_type="refresh_token", client_id=client_id, refresh_token=graph["refresh_token"]
    ).json()
    assert back["resource"] == demo.api_app_id_uri
    assert _claims(back["access_token"])["aud"] == demo.api_app_id_uri


def test_v1_code_without_any_resource(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _native_client(entra, demo)
    result = sign_in(
        http, _v1_authorize_url(demo, client_id), demo.admin.user_principal_name, demo.admin.password
    )
    code = result.params["code"]
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": code,
        "redirect_uri": NATIVE_REDIRECT,
        "code_verifier": VERIFIER,
    }
    missing = _v1_token(http, demo, **form)
    assert missing.status_code == 400
    assert missing.json()["error_codes"] == [500013]
    # The failure did not spend the code: named now, the resource is granted.
    named = _v1_token(http, demo, **form, resource=demo.api_app_id_uri).json()
    assert named["scope"] == "access_as_user"


def test_v1_authorize_takes_code_only(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _native_client(entra, demo)
    url = _v1_authorize_url(
        demo, client_id, response_type="id_token", nonce="n", resource=demo.api_app_id_uri
    )
    response = http.get(url)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    params = {k: v[0] for k, v in parse_qs(location.fragment).items()}
    assert params["error"] == "unsupported_response_type"
    assert params["error_description"].startswith("AADSTS70005: ")
    assert "Expected values: code." in params["error_description"]
    # An unknown client gets Entra's error page, as on v2.
    page = http.get(_v1_authorize_url(demo, "00000000-0000-0000-0000-00000000abcd"))
    assert page.status_code == 400
    assert "AADSTS700016" in page.text


def test_v1_sign_out_and_session_iframe(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _native_client(entra, demo)
    url = _v1_authorize_url(demo, client_id, resource=demo.api_app_id_uri)
    session_state = sign_in(http, url, demo.admin.user_principal_name, demo.admin.password).params[
        "session_state"
    ]
    iframe = f"{demo.authority}/oauth2/checksession"
    page = http.get(iframe)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "x-frame-options" not in page.headers  # relying parties frame it
    assert "postMessage" in page.text
    assert http.post(iframe, content=session_state).text == "unchanged"
    assert http.post(iframe, content="another-session").text == "changed"
    logout = http.get(
        f"{demo.authority}/oauth2/logout",
        params={"post_logout_redirect_uri": "http://localhost:8400/", "state": "bye"},
    )
    assert logout.status_code == 302
    assert logout.headers["location"] == "http://localhost:8400/?state=bye"
    assert http.post(iframe, content=session_state).text == "changed"


def test_kerberos_endpoint_answers_as_entra_errors(demo: DemoTenant, http: httpx.Client) -> None:
    url = f"{demo.authority}/kerberos"
    get = http.get(url)
    assert get.status_code == 400
    assert get.json()["error_codes"] == [900561]
    post = http.post(url, content=b"\x30\x00")
    assert post.status_code == 400
    assert post.json()["error"] == "invalid_request"
    assert post.json()["error_codes"] == [90100]
    assert "Kerberos" in post.json()["error_description"]
