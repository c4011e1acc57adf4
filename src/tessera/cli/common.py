"""Helpers shared by the command groups: configuration loading and readable failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import typer

from tessera.config import Settings, load_settings
from tessera.errors import ConfigError

ConfigOption: Any = typer.Option(
    None,
    "--config",
    "-c",
    help="tessera.yaml (OpenMetadata-style sections). Environment variables override it.",
    exists=True,
    dir_okay=False,
    readable=True,
)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load(config: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    try:
        return load_settings(config, overrides=overrides)
    except ConfigError as exc:
        fail(str(exc), 2)
