"""The one place the quickstart reaches into the catalog server's own code.

The quickstart runs the server, so before starting it, it configures it in process as an
operator would (step 10 of the guide, on the catalog's database). Every import of the server's
packages (``tessera.config``, ``tessera.bootstrap``, ``tessera.auth``, ``tessera.errors``) is
here; the rest of the quickstart talks to the server over HTTP, like any client.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tessera.quickstart.errors import QuickstartError
from tessera.quickstart.state import TenantRecord

INGESTION_BOT = "ingestion-bot"
OPERATOR = "tessera-quickstart"


def server_environment_keys() -> frozenset[str]:
    """The variables the catalog server reads its settings from (the children must not inherit
    a stray one: they read the files the quickstart writes)."""
    from tessera.config import ENV_KEYS

    return frozenset(ENV_KEYS)


def bot_mechanism(tenant: TenantRecord, authority: str, secret: str) -> dict[str, Any]:
    return {
        "authType": "SSO",
        "config": {
            "ssoServiceType": "azure",
            "authConfig": {
                "clientId": tenant.ingestionClientId,
                "clientSecret": secret,
                "authority": authority,
                "scopes": [tenant.ingestionScope],
            },
        },
    }


def service_step10_ingestion_bot(
    config: Path, environ: Mapping[str, str], tenant: TenantRecord, authority: str, secret: str
) -> bool:
    """Step 10: Settings > Bots > ingestion-bot > edit: Azure SSO with the ingestion app's
    Email, ClientSecret, ClientId, Authority and Scopes. Returns False when already so.

    Done as an operator on the catalog's database before the server starts, with the same
    service the UI's save calls (PUT /api/v1/users): no person can sign in to the UI without a
    browser. It also migrates and seeds the database (the server's own first start would).
    """
    from tessera.auth.principal import Principal
    from tessera.bootstrap import build_container, start
    from tessera.config import load_settings
    from tessera.errors import TesseraError

    try:
        container = build_container(load_settings(config, environ=dict(environ)))
        try:
            start(container)
            users = container.users
            bot = users.directory.by_name(INGESTION_BOT)
            if bot is None:
                raise QuickstartError(
                    "the catalog has no ingestion-bot (it was deleted)",
                    fix="Start over with: tessera quickstart --fresh",
                )
            wanted = bot_mechanism(tenant, authority, secret)
            if _same_mechanism(bot, wanted, container.box) and bot.get("email") == tenant.bot_email:
                return False
            request = {
                "name": bot["name"],
                "email": tenant.bot_email,
                "displayName": bot.get("displayName") or "Ingestion Bot",
                "isBot": True,
                "botName": INGESTION_BOT,
                "authenticationMechanism": wanted,
            }
            users.create_or_update(Principal(name=OPERATOR, is_admin=True), request)
            return True
        finally:
            container.close()
    except TesseraError as exc:
        raise QuickstartError(
            f"cannot set the ingestion bot to Azure SSO: {exc.message}",
            fix="Start over with: tessera quickstart --fresh",
        ) from None


def _same_mechanism(bot: dict[str, Any], wanted: dict[str, Any], box: Any) -> bool:
    # The stored secret is sealed with a random IV, so compare it opened; saving an equal
    # mechanism again would add a version to the bot on every rerun.
    stored = bot.get("authenticationMechanism") or {}
    config = (stored.get("config") or {}).get("authConfig") or {}
    want = wanted["config"]["authConfig"]
    if stored.get("authType") != "SSO" or not config.get("clientSecret"):
        return False
    same_fields = all(config.get(key) == want[key] for key in ("clientId", "authority", "scopes"))
    return same_fields and box.open(str(config["clientSecret"])) == want["clientSecret"]
