"""Where the emulator used to differ from Entra: back-dated iat/nbf, x5t on v1 ID tokens, the
all-zero client id."""

from __future__ import annotations

import httpx
import jwt

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import confidential


def test_iat_and_nbf_are_back_dated_five_minutes(entra: RunningEmulator, demo: DemoTenant) -> None:
    now = int(entra.clock.now())
    app = confidential(entra, demo.ingestion_client_id, demo.ingestion_secret, demo.authority)
    token = app.acquire_token_for_client([demo.ingestion_scope])["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iat"] == claims["nbf"] == now - 300
    assert claims["exp"] == now + 3599


def test_all_zero_client_id(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    zero = "00000000-0000-0000-0000-000000000000"
    response = http.post(
        f"{demo.authority}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": zero,
            "client_secret": "x",
            "scope": "x/.default",
        },
    )
    assert response.status_code == 400
    assert response.json()["error_codes"] == [700038]
    assert response.json()["error_description"].startswith(
        f"AADSTS700038: {zero} is not a valid application identifier."
    )
    page = http.get(
        f"{demo.authority}/oauth2/v2.0/authorize",
        params={
            "client_id": zero,
            "response_type": "code",
            "redirect_uri": "http://localhost",
            "scope": "openid",
        },
    )
    assert page.status_code == 400
    assert "AADSTS700038" in page.text
