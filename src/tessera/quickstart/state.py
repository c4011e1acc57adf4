"""The quickstart's files: where each lives, and the two it remembers between runs.

``quickstart.json`` holds what is not secret (ports, tenant and application ids) so that a
rerun reuses the same tenant and catalog. ``secrets.env`` (0600) holds the ingestion app's
client secret and the demo users' passwords: the emulator keeps only hashes of them, so this
file is the one place they can be read again. It is shell syntax on purpose, so that
``set -a; . secrets.env; set +a`` puts them in the environment the workflow YAML and the
printed ``curl`` commands read; values are written bare (``NAME=value``), so that what a person
selects and copies is the value itself, and quoted only if a shell would otherwise change them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tessera.quickstart.errors import QuickstartError

RECORD_VERSION = 1
# What a shell assignment keeps as written without quotes: no blanks, quotes, `$`, globs or
# separators, and no `~` where it would be expanded (first, or after a `:`; `:` is left out).
_BARE = re.compile(r"[A-Za-z0-9_.,@%+/=!-][A-Za-z0-9_.,@%+/=!~-]*")


def default_home() -> Path:
    return Path(os.environ.get("TESSERA_HOME") or "~/.tessera").expanduser() / "quickstart"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def record(self) -> Path:
        return self.root / "quickstart.json"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.env"

    @property
    def entra_home(self) -> Path:
        return self.root / "entra"

    @property
    def ca_file(self) -> Path:
        return self.entra_home / "ca.pem"

    @property
    def server_home(self) -> Path:
        return self.root / "server"

    @property
    def server_config(self) -> Path:
        return self.root / "tessera.yaml"

    @property
    def sample_db(self) -> Path:
        return self.root / "sample" / "shop.db"

    @property
    def workflow(self) -> Path:
        return self.root / "workflow.yaml"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def prepare(self) -> None:
        # 0700: the directory holds the secrets file, the catalog's keys and the emulator's CA key.
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)

    def wipe(self) -> None:
        """``--fresh``: remove a previous quickstart's state, and nothing that is not one."""
        if not self.root.exists():
            return
        ours = {
            "quickstart.json",
            "secrets.env",
            "entra",
            "server",
            "tessera.yaml",
            "sample",
            "workflow.yaml",
        }
        ours.add("logs")
        foreign = sorted(p.name for p in self.root.iterdir() if p.name not in ours)
        if not self.record.exists() and foreign:
            raise QuickstartError(
                f"{self.root} is not a quickstart directory (no quickstart.json; it holds "
                f"{', '.join(foreign[:5])}), so --fresh will not delete it",
                fix="Give --home a directory of its own (the default is $TESSERA_HOME/quickstart).",
            )
        shutil.rmtree(self.root)


@dataclass(frozen=True)
class DemoUserRecord:
    id: str
    userPrincipalName: str
    displayName: str
    role: str


@dataclass(frozen=True)
class TenantRecord:
    """The guide's step 9 notes, for both applications; nothing secret."""

    tenantId: str
    domain: str
    uiClientId: str
    apiAppIdUri: str
    apiScope: str
    ingestionClientId: str
    ingestionObjectId: str
    ingestionAppIdUri: str
    ingestionScope: str
    secretExpires: str
    users: list[DemoUserRecord]

    @property
    def admin(self) -> DemoUserRecord:
        return self.users[0]

    @property
    def bot_email(self) -> str:
        """Step 10: ``<object-id-for-azure-service-application-enterprise-application>@<domain>``."""
        return f"{self.ingestionObjectId}@{self.domain}"

    @staticmethod
    def from_json(data: dict[str, Any]) -> TenantRecord:
        users = [DemoUserRecord(**u) for u in data.pop("users")]
        return TenantRecord(users=users, **data)


@dataclass
class Record:
    """``quickstart.json``."""

    serverPort: int
    idpPort: int
    tenant: TenantRecord | None = None
    running: dict[str, int] = field(default_factory=dict)
    version: int = RECORD_VERSION

    @staticmethod
    def load(layout: Layout) -> Record | None:
        if not layout.record.exists():
            return None
        try:
            data = json.loads(layout.record.read_text(encoding="utf-8"))
            tenant = data.get("tenant")
            return Record(
                serverPort=int(data["serverPort"]),
                idpPort=int(data["idpPort"]),
                tenant=TenantRecord.from_json(dict(tenant)) if tenant else None,
                running={k: int(v) for k, v in (data.get("running") or {}).items()},
                version=int(data.get("version", RECORD_VERSION)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise QuickstartError(
                f"{layout.record} cannot be read ({type(exc).__name__}: {exc})",
                fix="Start over with: tessera quickstart --fresh",
            ) from None

    def save(self, layout: Layout) -> None:
        text = json.dumps(asdict(self), indent=2) + "\n"
        tmp = layout.record.with_suffix(".json.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(layout.record)


@dataclass(frozen=True)
class Secrets:
    client_secret: str
    passwords: dict[str, str]
    """By login (``admin``, ``alice``)."""

    @staticmethod
    def variable(login: str) -> str:
        return f"TESSERA_DEMO_{login.upper()}_PASSWORD"

    def save(self, layout: Layout, tenant: TenantRecord) -> None:
        values = {
            "AZURE_TENANT_ID": tenant.tenantId,
            "AZURE_CLIENT_ID": tenant.ingestionClientId,
            "AZURE_CLIENT_SECRET": self.client_secret,
            **{self.variable(login): password for login, password in self.passwords.items()},
        }
        for name, value in values.items():
            if "\n" in value:
                raise ValueError(f"{name} holds a line break, which secrets.env cannot hold")
        lines = [
            "# tessera quickstart: the ingestion app's client secret and the demo users' passwords.",
            "# Readable by you only (0600). Load into a shell with:  set -a; . ./secrets.env; set +a",
            *(f"{name}={_shell_value(value)}" for name, value in values.items()),
        ]
        write_private(layout.secrets, "\n".join(lines) + "\n")

    @staticmethod
    def load(layout: Layout) -> Secrets | None:
        if not layout.secrets.exists():
            return None
        values: dict[str, str] = {}
        for line in layout.secrets.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.startswith("#"):
                # As the shell reads it: bare, or in quotes (as earlier versions wrote it).
                words = shlex.split(value.strip()) or [""]
                values[name.strip()] = words[0]
        secret = values.get("AZURE_CLIENT_SECRET")
        if not secret:
            return None
        prefix, suffix = "TESSERA_DEMO_", "_PASSWORD"
        passwords = {
            name[len(prefix) : -len(suffix)].lower(): value
            for name, value in values.items()
            if name.startswith(prefix) and name.endswith(suffix)
        }
        return Secrets(secret, passwords)


def _shell_value(value: str) -> str:
    return value if _BARE.fullmatch(value) else shlex.quote(value)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, mode 0600 from the first byte (never briefly readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    tmp.replace(path)
