"""/api/v1/system/settings as OpenMetadata's client and UI use it: stored settings with
OpenMetadata's defaults, the configuration's settings shown to administrators without secrets
and never changed here, secrets never shown."""

from __future__ import annotations

from tessera import contract
from tessera.settings.service import DEFAULTS, SCHEMAS
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"
BASE = "/api/v1/system/settings"


def test_defaults_are_valid_openmetadata_settings() -> None:
    for name, definition in SCHEMAS.items():
        assert contract.definition_errors("settings", definition, DEFAULTS[name]) == [], name


def test_settings_read_and_changed_by_who_may(session: Session) -> None:
    admin = session.as_(session.admin_token())
    session.create_user(session.admin_token(), "reader", password=STRONG)
    reader = session.as_(session.token_for("reader", STRONG))
    lineage = session.client.get(f"{BASE}/lineageSettings", headers=reader)
    assert lineage.status_code == 200, lineage.text
    assert lineage.json() == {"config_type": "lineageSettings", "config_value": DEFAULTS["lineageSettings"]}
    deeper = {**DEFAULTS["lineageSettings"], "upstreamDepth": 3}
    body = {"config_type": "lineageSettings", "config_value": deeper}
    assert session.client.put(BASE, json=body, headers=reader).status_code == 403
    assert session.client.put(BASE, json=body, headers=admin).status_code == 200
    assert session.client.get(f"{BASE}/lineageSettings", headers=reader).json()["config_value"] == deeper
    too_deep = {"config_type": "lineageSettings", "config_value": {**deeper, "upstreamDepth": 50}}
    refused = session.client.put(BASE, json=too_deep, headers=admin)
    assert refused.status_code == 400
    assert "upstreamDepth" in refused.json()["message"]
    reset = session.client.put(f"{BASE}/reset/lineageSettings", headers=admin)
    assert reset.json()["config_value"] == DEFAULTS["lineageSettings"]
    # The configuration's settings: administrators read them; nobody changes them here.
    names = {s["config_type"] for s in session.client.get(BASE, headers=admin).json()["data"]}
    assert {"authorizerConfiguration", "lineageSettings"} <= names
    assert "authorizerConfiguration" not in {
        s["config_type"] for s in session.client.get(BASE, headers=reader).json()["data"]
    }
    assert session.client.get(f"{BASE}/authorizerConfiguration", headers=reader).status_code == 403
    authz = session.client.get(f"{BASE}/authorizerConfiguration", headers=admin).json()["config_value"]
    assert authz["principalDomain"] == session.settings.authorizerConfiguration.principalDomain
    change = session.client.put(
        BASE,
        json={"config_type": "authenticationConfiguration", "config_value": {"provider": "no-auth"}},
        headers=admin,
    )
    assert change.status_code == 400
    assert "comes from tessera's configuration" in change.json()["message"]
    # Secrets are never shown, not even to administrators.
    assert session.client.get(f"{BASE}/fernetConfiguration", headers=admin).status_code == 403
    jwt = session.client.get(f"{BASE}/jwtTokenConfiguration", headers=admin).json()["config_value"]
    assert set(jwt) == {"jwtissuer"}
    assert session.client.get(f"{BASE}/nope", headers=admin).status_code == 404
