"""Faults on demand through the admin API and the CLI: error answers for the next N calls or with
a probability, delays, a JWKS outage, a clock offset and an unannounced key rollover, as clients
(MSAL Python, PyJWT's JWKS client) meet them."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from tessera.entra.cli import app as cli
from tessera.entra.directory import DirectoryError
from tessera.entra.testing import RunningEmulator, running_emulator

from .conftest import confidential, new_demo


def _token_form(demo: object) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": demo.ingestion_client_id,  # type: ignore[attr-defined]
        "client_secret": demo.ingestion_secret,  # type: ignore[attr-defined]
        "scope": demo.ingestion_scope,  # type: ignore[attr-defined]
    }


def test_token_errors_for_the_next_calls(fresh_entra: RunningEmulator) -> None:
    entra = fresh_entra
    demo = new_demo(entra)
    with httpx.Client(verify=entra.ssl_context(), headers=entra.admin_headers()) as admin:
        added = admin.post(
            f"{entra.base_url}/admin/faults", json={"endpoint": "token", "status": 503, "count": 2}
        )
        assert added.status_code == 201, added.text
        assert admin.get(f"{entra.base_url}/admin/faults").json()["value"][0]["remaining"] == 2
    with httpx.Client(verify=entra.ssl_context()) as http:
        url = f"{demo.authority}/oauth2/v2.0/token"
        for _ in range(2):
            failed = http.post(
                url,
                data=_token_form(demo),
                headers={"client-request-id": "c0ffee00-0000-4000-8000-000000000000"},
            )
            assert failed.status_code == 503
            assert failed.headers["retry-after"] == "1"
            body = failed.json()
            assert (body["error"], body["error_codes"]) == ("temporarily_unavailable", [90033])
            assert body["correlation_id"] == "c0ffee00-0000-4000-8000-000000000000"
        assert http.post(url, data=_token_form(demo)).status_code == 200
    assert entra.service.faults() == []  # spent
    # MSAL Python reports a fault as the error it is.
    entra.service.add_fault("token", status=400, error="invalid_request", code=90002, count=1)
    result = confidential(
        entra, demo.ingestion_client_id, demo.ingestion_secret, demo.authority
    ).acquire_token_for_client([demo.ingestion_scope])
    assert result["error_codes"] == [90002]


def test_probability_and_latency(fresh_entra: RunningEmulator) -> None:
    entra = fresh_entra
    demo = new_demo(entra)
    entra.service.add_fault("discovery", status=500, probability=0.5)
    entra.service.add_fault("discovery", latency_ms=1)
    with httpx.Client(verify=entra.ssl_context()) as http:
        statuses = {
            http.get(f"{demo.authority}/v2.0/.well-known/openid-configuration").status_code for _ in range(60)
        }
    assert statuses == {200, 500}
    assert len(entra.service.faults()) == 2  # neither counted: until cleared
    entra.service.clear_faults()
    with pytest.raises(DirectoryError, match="either an error"):
        entra.service.add_fault("token")
    with pytest.raises(DirectoryError, match="probability"):
        entra.service.add_fault("token", status=503, probability=0)


def test_jwks_outage_and_rollover_from_the_cli_on_a_running_server(tmp_path: Path) -> None:
    home = tmp_path / "entra"
    run = CliRunner()
    with running_emulator(home=home, persistent=True) as entra:
        demo = new_demo(entra)
        jwks = jwt.PyJWKClient(
            f"{demo.authority}/discovery/v2.0/keys", ssl_context=entra.ssl_context(), cache_keys=False
        )
        assert jwks.get_signing_keys()
        assert run.invoke(cli, ["--home", str(home), "faults", "jwks-outage"]).exit_code == 0
        with pytest.raises(jwt.PyJWKClientConnectionError):
            jwt.PyJWKClient(
                f"{demo.authority}/discovery/v2.0/keys", ssl_context=entra.ssl_context()
            ).get_signing_keys()
        assert "removed 1" in run.invoke(cli, ["--home", str(home), "faults", "clear"]).output
        rolled = run.invoke(cli, ["--home", str(home), "faults", "rollover"])
        kid = rolled.output.split()[-1]
        with httpx.Client(verify=entra.ssl_context()) as http:
            token = http.post(f"{demo.authority}/oauth2/v2.0/token", data=_token_form(demo)).json()[
                "access_token"
            ]
        assert jwt.get_unverified_header(token)["kid"] == kid


def test_clock_offset(fresh_entra: RunningEmulator) -> None:
    entra = fresh_entra
    demo = new_demo(entra)
    now = int(entra.clock.now())
    with httpx.Client(verify=entra.ssl_context(), headers=entra.admin_headers()) as admin:
        moved = admin.put(f"{entra.base_url}/admin/clock", json={"offsetSeconds": 900})
        assert moved.json() == {"offsetSeconds": 900.0}
    with httpx.Client(verify=entra.ssl_context()) as http:
        token = http.post(f"{demo.authority}/oauth2/v2.0/token", data=_token_form(demo)).json()[
            "access_token"
        ]
    assert jwt.decode(token, options={"verify_signature": False})["iat"] == now + 900 - 300
    entra.service.set_clock_offset(0)
    assert entra.service.clock_offset() == 0
