"""What every catalog has from its first start: roles and policies, the ingestion bot, and,
with basic authentication, a first administrator.

The first administrator is created once per database, with a random password printed once and
written to a 0600 file in TESSERA_HOME. There is no admin/admin. Once created it is never
created again: an administrator who deletes it keeps it deleted, whatever adminPrincipals says.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from tessera.auth import passwords, store
from tessera.auth.policies import BUILTIN_POLICIES, BUILTIN_ROLES
from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import BOT, POLICY, ROLE, USER
from tessera.catalog.service import Actor, CatalogService
from tessera.config import Settings
from tessera.files import write_private
from tessera.storage import migrate
from tessera.storage.db import write_transaction
from tessera.users.accounts import Accounts

log = logging.getLogger("tessera")

SYSTEM = Actor(name="tessera", is_bot=True)
INGESTION_BOT = "ingestion-bot"
ADMIN = "admin"
ADMIN_PASSWORD_FILE = "initial-admin-password"
_ADMIN_DONE = "bootstrap.admin"
_BOT_DONE = "bootstrap.ingestionBot"


@dataclass
class Bootstrapped:
    admin_password: str | None = None
    created: list[str] = field(default_factory=list)


def bootstrap(catalog: CatalogService, accounts: Accounts, settings: Settings) -> Bootstrapped:
    result = Bootstrapped()
    # Several processes may start together; one bootstraps while the others wait.
    with migrate.exclusive(catalog.engine):
        _roles_and_policies(catalog, result)
        _ingestion_bot(catalog, settings, result)
        if settings.authenticationConfiguration.provider == "basic":
            _first_admin(catalog, accounts, settings, result)
    return result


def _roles_and_policies(catalog: CatalogService, result: Bootstrapped) -> None:
    policies = {}
    for policy in BUILTIN_POLICIES:
        doc = catalog.install_builtin(POLICY, {**policy, "provider": "system"}, SYSTEM, refresh=False)
        policies[doc["name"]] = doc
    for name, description, policy_names in BUILTIN_ROLES:
        refs = [_ref(policies[p], "policy") for p in policy_names]
        catalog.install_builtin(
            ROLE,
            {"name": name, "description": description, "policies": refs, "provider": "system"},
            SYSTEM,
            refresh=False,
        )


def _ingestion_bot(catalog: CatalogService, settings: Settings, result: Bootstrapped) -> None:
    with catalog.engine.connect() as conn:
        if store.get_setting(conn, _BOT_DONE):
            return
    role = catalog.get_by_name(ROLE, "IngestionBotRole")
    domain = settings.authorizerConfiguration.principalDomain
    if catalog.find_by_name(USER, INGESTION_BOT) is None:
        catalog.create_or_update(
            USER,
            {
                "name": INGESTION_BOT,
                "email": f"{INGESTION_BOT}@{domain}",
                "displayName": "Ingestion Bot",
                "isBot": True,
                "roles": [role["id"]],
            },
            SYSTEM,
        )
    if catalog.find_by_name(BOT, INGESTION_BOT) is None:
        catalog.create_or_update(
            BOT,
            {
                "name": INGESTION_BOT,
                "displayName": "Ingestion Bot",
                "botUser": INGESTION_BOT,
                "provider": "system",
            },
            SYSTEM,
        )
    result.created.append(INGESTION_BOT)
    _mark(catalog, _BOT_DONE)


def _first_admin(
    catalog: CatalogService, accounts: Accounts, settings: Settings, result: Bootstrapped
) -> None:
    with catalog.engine.connect() as conn:
        if store.get_setting(conn, _ADMIN_DONE):
            return
    if catalog.find_by_name(USER, fqns.quote(ADMIN)) is None:
        doc = catalog.create_or_update(
            USER,
            {
                "name": ADMIN,
                "email": f"{ADMIN}@{settings.authorizerConfiguration.principalDomain}",
                "displayName": "Administrator",
                "isAdmin": True,
            },
            SYSTEM,
        ).doc
        password = passwords.generate()
        with write_transaction(catalog.engine) as conn:
            accounts.set_password(conn, doc, password, must_change=True)
        path = settings.home / ADMIN_PASSWORD_FILE
        path.unlink(missing_ok=True)
        write_private(path, (password + "\n").encode())
        result.admin_password = password
        result.created.append(ADMIN)
        log.warning(
            "created the first administrator '%s' (%s) with password %s -- shown once; also in %s. "
            "Change it after signing in; production mode refuses to start until you do.",
            ADMIN,
            doc["email"],
            password,
            path,
        )
    _mark(catalog, _ADMIN_DONE)


def _mark(catalog: CatalogService, name: str) -> None:
    with write_transaction(catalog.engine) as conn:
        store.put_setting(conn, name, "done", int(time.time() * 1000))


def _ref(doc: dict[str, object], entity_type: str) -> dict[str, object]:
    return {
        "id": doc["id"],
        "type": entity_type,
        "name": doc["name"],
        "fullyQualifiedName": doc["fullyQualifiedName"],
    }


def admin_password_path(home: Path) -> Path:
    return home / ADMIN_PASSWORD_FILE
