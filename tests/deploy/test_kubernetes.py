"""The Kubernetes manifests render with kustomize and validate against Kubernetes' schemas."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.conftest import tier_unavailable

KUBERNETES = Path(__file__).parents[2] / "deploy" / "kubernetes"
OVERLAYS = ["base", "overlays/production"]


def _render(overlay: str) -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        tier_unavailable("kubernetes", "kubectl is not installed (it renders the Kustomize overlays)")
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES / overlay)], capture_output=True, text=True, check=False
    )
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def manifests(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return _render(request.param)


def _one(manifests: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [doc for doc in manifests if doc["kind"] == kind]
    assert len(found) == 1, kind
    return found[0]


def test_every_manifest_validates_strictly(manifests: list[dict[str, Any]]) -> None:
    for doc in manifests:
        kubernetes_validate.validate(doc, "1.30", strict=True)


def test_the_deployment_runs_replicas_with_probes_resources_and_no_root(
    manifests: list[dict[str, Any]],
) -> None:
    deployment = _one(manifests, "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]["memory"]
    sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert {"tessera-fernet-key", "tessera-database"} <= sources


def test_the_migration_job_upgrades_and_the_servers_only_check(manifests: list[dict[str, Any]]) -> None:
    job = _one(manifests, "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["db", "upgrade"]
    config = _one(manifests, "ConfigMap")["data"]
    assert config["TESSERA_MIGRATE"] == "check"
    # Configuration by OpenMetadata's names; secrets never in the ConfigMap.
    assert {"DB_HOST", "DB_PORT", "DB_USER", "OM_DATABASE", "DB_SCHEME"} <= set(config)
    assert not {"FERNET_KEY", "DB_USER_PASSWORD", "OIDC_CLIENT_SECRET"} & set(config)
    secrets = {doc["metadata"]["name"] for doc in manifests if doc["kind"] == "Secret"}
    assert {"tessera-fernet-key", "tessera-azure", "tessera-database"} <= secrets


def test_production_signs_in_with_entra_and_mounts_the_client_secret() -> None:
    manifests = _render("overlays/production")
    config = _one(manifests, "ConfigMap")["data"]
    assert config["TESSERA_ENV"] == "production"
    assert config["AUTHENTICATION_PROVIDER"] == "azure"
    assert config["OIDC_CLIENT_SECRET_FILE"] == "/etc/tessera/azure/client-secret"
    pod = _one(manifests, "Deployment")["spec"]["template"]["spec"]
    assert {"name": "azure", "secret": {"secretName": "tessera-azure", "defaultMode": 0o400}} in pod[
        "volumes"
    ]
    # The ConfigMap's generated name is what the pods refer to.
    refs = [next(iter(r.values()))["name"] for r in pod["containers"][0]["envFrom"]]
    assert _one(manifests, "ConfigMap")["metadata"]["name"] in refs
