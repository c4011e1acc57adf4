"""The configuration reference documents every key and every environment variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tessera.config import ENV_KEYS, Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def _leaf_keys(model: Any, prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, field in model.model_fields.items():
        if hasattr(field.annotation, "model_fields"):
            keys.extend(_leaf_keys(field.annotation, f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_every_setting_and_environment_variable_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing_keys = [
        key
        for key in _leaf_keys(Settings)
        if f"`{key}`" not in text and f"`{key.rsplit('.', 1)[-1]}`" not in text
    ]
    missing_env = [name for name in ENV_KEYS if f"`{name}`" not in text]
    assert missing_keys == []
    assert missing_env == []
