"""tessera.entra: a local, offline identity provider that behaves like Microsoft Entra ID v2.

Microsoft's own MSAL libraries work against it unchanged, apart from turning instance discovery
off (``instance_discovery=False`` in MSAL Python, ``knownAuthorities`` in MSAL.js) and trusting
the local CA the emulator creates.

This package never imports any other part of tessera (``tests/entra/test_isolation.py`` enforces
it) and shares no JWT code with tessera's token validator: a bug shared by the code that issues
tokens and the code that checks them would let both sides' tests pass.

Importing the package does no work; the public names below are loaded on first use:

- :func:`create_emulator_app` (``tessera.entra.app``): the ASGI application;
- :class:`EmulatorSettings`, :func:`load_settings` (``tessera.entra.settings``);
- :func:`running_emulator`, :func:`in_process_emulator`, :func:`build_demo_tenant`
  (``tessera.entra.testing``); pytest fixtures in ``tessera.entra.pytest_plugin``;
- :class:`Store` (``tessera.entra.store``) and :class:`DirectoryService`
  (``tessera.entra.service``): an emulator home's tenants, changed the way the CLI and the admin
  API change them, with :class:`DirectoryError` for what they refuse and
  :func:`generate_password` for people's initial passwords (``tessera.entra.directory``).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "create_emulator_app": "tessera.entra.app",
    "EmulatorSettings": "tessera.entra.settings",
    "load_settings": "tessera.entra.settings",
    "running_emulator": "tessera.entra.testing",
    "in_process_emulator": "tessera.entra.testing",
    "build_demo_tenant": "tessera.entra.testing",
    "Store": "tessera.entra.store",
    "DirectoryService": "tessera.entra.service",
    "DirectoryError": "tessera.entra.directory",
    "generate_password": "tessera.entra.directory",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tessera.entra' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
