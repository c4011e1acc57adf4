"""The container image, built with podman and run as the compose file configures it: health check,
a sign-in and an API call, as the non-root user, on PostgreSQL.

No registry is reachable where the tests run: the image is built on a Debian base made with
debootstrap (kept between sessions) and installs from a wheelhouse built on the host
(Dockerfile's BASE_IMAGE and PIP_OPTIONS). See /work/shared/reference/containers.md's recipe.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import tier_unavailable
from tests.integration.conftest import _create_server_database, _drop_server_database
from tests.integration.servers import TEST_FERNET_KEY, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ROOT = Path(__file__).parents[2]
BASE_IMAGE = "localhost/tessera-test-base:bookworm"
IMAGE = "localhost/tessera:test"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tessera-image"


def _run(
    *command: str, env: dict[str, str], timeout: float = 600, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment podman runs in: runc, cgroupfs and limits this sandbox allows."""
    if shutil.which("podman") is None or shutil.which("debootstrap") is None:
        tier_unavailable(
            "container image",
            "podman or debootstrap is not installed (apt-get install podman runc debootstrap)",
        )
    hard = subprocess.run(
        ["sh", "-c", "ulimit -Hn"], capture_output=True, text=True, check=True
    ).stdout.strip()
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text(
        "[containers]\n"
        f'default_ulimits = ["nofile={hard}:{hard}", "nproc=32768:32768"]\n'
        "[engine]\n"
        'runtime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
    )
    return {**os.environ, "CONTAINERS_CONF": str(conf)}


def _ensure_base(env: dict[str, str], scratch: Path) -> None:
    """A Debian bookworm with python3, imported once and kept (about 25 s the first time)."""
    if subprocess.run(["podman", "image", "exists", BASE_IMAGE], env=env, check=False).returncode == 0:
        return
    rootfs = scratch / "rootfs"
    _run(
        "debootstrap",
        "--variant=minbase",
        "--include=python3,python3-venv",
        "bookworm",
        str(rootfs),
        DEBIAN_MIRROR,
        env=env,
    )
    # The context manager closes tar's pipe: left open, it is reported as unraisable when collected.
    with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
        _run("podman", "import", "-", BASE_IMAGE, env=env, stdin=tar.stdout)
    shutil.rmtree(rootfs, ignore_errors=True)


def _wheelhouse() -> Path:
    """Wheels of tessera's dependencies (and its build backend), built on the host once per
    dependency list: the image then needs no network."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    wanted = ["hatchling", *dependencies]
    directory = CACHE / hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:16]
    if not (directory / ".complete").exists():
        directory.mkdir(parents=True, exist_ok=True)
        _run(
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--wheel-dir",
            str(directory),
            *wanted,
            env=dict(os.environ),
        )
        (directory / ".complete").touch()
    return directory


@pytest.fixture(scope="session")
def image(podman: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    scratch = tmp_path_factory.mktemp("image")
    _ensure_base(podman, scratch)
    context = scratch / "context"
    context.mkdir()
    for name in ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, context / name)
    shutil.copytree(ROOT / "src", context / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(_wheelhouse(), context / "wheelhouse")
    started = time.monotonic()
    _run(
        "podman",
        "build",
        "--format",
        "docker",
        "--layers",
        "--build-arg",
        f"BASE_IMAGE={BASE_IMAGE}",
        "--build-arg",
        "PIP_OPTIONS=--no-index --find-links /context/wheelhouse",
        "-t",
        IMAGE,
        str(context),
        env=podman,
    )
    print(f"podman build took {time.monotonic() - started:.1f} s")
    return IMAGE


def _compose_environment(database_url: str, port: int) -> dict[str, str]:
    """The tessera service's environment from deploy/compose.yaml, pointed at the test's database."""
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    environment = {k: str(v) for k, v in compose["services"]["tessera"]["environment"].items()}
    url = sa.make_url(database_url)
    environment.update(
        DB_HOST=str(url.host),
        DB_PORT=str(url.port),
        DB_USER=str(url.username),
        OM_DATABASE=str(url.database),
        SERVER_PORT=str(port),
        FERNET_KEY=TEST_FERNET_KEY,
    )
    # What compose interpolates itself.
    return {
        k: v.replace("${DB_USER_PASSWORD:-openmetadata_password}", "openmetadata_password")
        .replace("${AUTHENTICATION_PROVIDER:-basic}", "basic")
        .replace("${AUTHORIZER_ADMIN_PRINCIPALS:-[admin]}", "[admin]")
        .replace("${AUTHORIZER_PRINCIPAL_DOMAIN:-open-metadata.org}", "open-metadata.org")
        for k, v in environment.items()
    }


@pytest.fixture(scope="module")
def container(image: str, podman: dict[str, str]) -> Iterator[tuple[str, str]]:
    database = _create_server_database("postgresql")
    port = free_port()
    environment = _compose_environment(database, port)
    assert not any("$" in value for value in environment.values()), environment
    flags = [arg for key, value in environment.items() for arg in ("--env", f"{key}={value}")]
    # The compose file's migration service first; the server only checks the schema.
    _run("podman", "run", "--rm", "--network", "host", *flags, image, "db", "upgrade", env=podman)
    name = f"tessera-test-{port}"
    _run("podman", "run", "-d", "--name", name, "--network", "host", *flags, image, env=podman)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/api/v1/system/version", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                logs = subprocess.run(
                    ["podman", "logs", name], env=podman, capture_output=True, text=True, check=False
                )
                pytest.fail(f"the container did not answer within 90 s:\n{logs.stdout}\n{logs.stderr}")
            time.sleep(0.2)
        yield name, base
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "2", name], env=podman, capture_output=True, check=False)
        _drop_server_database("postgresql", database)


def test_the_image_runs_as_a_non_root_user_and_passes_its_health_check(
    container: tuple[str, str], podman: dict[str, str]
) -> None:
    name, _ = container
    assert _run("podman", "exec", name, "id", "-u", env=podman).stdout.strip() == "10001"
    inspect = _run(
        "podman",
        "inspect",
        "--format",
        "{{.Config.User}} {{json .Config.Healthcheck.Test}}",
        name,
        env=podman,
    )
    assert inspect.stdout.startswith("10001:10001 ")
    assert "/healthz" in inspect.stdout
    _run("podman", "healthcheck", "run", name, env=podman)
    # No secret baked in: the image's own environment holds none.
    config = _run("podman", "image", "inspect", "--format", "{{json .Config.Env}}", IMAGE, env=podman).stdout
    assert "FERNET_KEY" not in config
    assert "PASSWORD" not in config


def test_a_sign_in_and_an_api_call_on_postgresql(container: tuple[str, str], podman: dict[str, str]) -> None:
    name, base = container
    password = _run(
        "podman", "exec", name, "cat", "/var/lib/tessera/initial-admin-password", env=podman
    ).stdout.strip()
    login = httpx.post(
        f"{base}/api/v1/users/login",
        json={"email": "admin", "password": base64.b64encode(password.encode()).decode()},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    token = login.json()["accessToken"]
    tables = httpx.get(f"{base}/api/v1/tables", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert tables.status_code == 200, tables.text
    assert httpx.get(f"{base}/api/v1/tables", timeout=30).status_code == 401
