"""`tessera serve` refusing to start: one line that says what to change, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from tessera.bootstrap import build_container, start
from tessera.cli import _register, app
from tessera.config import Settings


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"AUTHENTICATION_PROVIDER": "no-auth"},
            "production mode refuses authenticationConfiguration.provider",
        ),
        ({"AUTHENTICATION_PROVIDER": "basic"}, "FERNET_KEY"),
    ],
)
def test_production_refusals_are_one_line_not_a_traceback(
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    expected: str,
) -> None:
    settings = settings_factory(**env)
    monkeypatch.setenv("TESSERA_HOME", str(settings.home))
    monkeypatch.setenv("TESSERA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TESSERA_ENV", "production")
    monkeypatch.delenv("FERNET_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _register()
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: cannot start: "), result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_no_auth_warns_loudly_on_every_start(
    settings_factory: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_factory(AUTHENTICATION_PROVIDER="no-auth", FERNET_KEY=Fernet.generate_key().decode())
    for _ in range(2):
        caplog.clear()
        container = build_container(settings)
        with caplog.at_level(logging.WARNING):
            start(container)
        container.close()
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert any("AUTHENTICATION IS OFF" in message for message in warnings), warnings
