"""Operators' commands acting directly on the configured database: users, bots, keys, secrets.

They need no running server and no token: whoever can read the configuration and reach the
database is already an operator.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tessera.auth.principal import Principal
from tessera.cli.common import ConfigOption, fail, load

if TYPE_CHECKING:
    from tessera.config import Settings
    from tessera.container import Container

users_app = typer.Typer(
    help="Manage users of the catalog (acts on the configured database).", no_args_is_help=True
)
bots_app = typer.Typer(help="Manage bots and their tokens.", no_args_is_help=True)
keys_app = typer.Typer(help="tessera's JWT signing keys.", no_args_is_help=True)
secrets_app = typer.Typer(help="Secrets at rest (Fernet).", no_args_is_help=True)

OPERATOR = "tessera-cli"


@contextmanager
def _container(config: Path | None) -> Iterator[Container]:
    """The configured catalog's services, for a command that acts on an existing catalog.

    Never creates a database or migrates one: an operator who points at the wrong place learns
    it here instead of finding a new, empty catalog there later (``tessera db upgrade`` and
    ``tessera serve`` are the commands that create and migrate).
    """
    from tessera.bootstrap import build_container
    from tessera.errors import ConfigError

    settings = load(config)
    problem = _catalog_problem(settings)
    if problem is not None:
        fail(problem, 2)
    try:
        container = build_container(settings)
    except ConfigError as exc:
        fail(str(exc), 2)
    try:
        yield container
    finally:
        container.close()


def _catalog_problem(settings: Settings) -> str | None:
    """Why the configured database is not a catalog this tessera can act on, or None."""
    from sqlalchemy.exc import SQLAlchemyError

    from tessera.storage import migrate
    from tessera.storage.db import create_engine, sqlite_path

    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        hint = ""
        quickstart = settings.home / "quickstart" / "tessera.yaml"
        if quickstart.exists():
            hint = f"; the quickstart's catalog is configured by {quickstart}: add --config {quickstart}"
        return (
            f"no catalog at {path} (nothing was created); give --config or TESSERA_HOME for an "
            f"existing catalog, or create one with tessera serve{hint}"
        )
    engine = create_engine(settings.database_url)
    try:
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        return f"cannot reach the database {settings.database_url.split('@')[-1]}: {exc.__class__.__name__}"
    finally:
        engine.dispose()
    head = migrate.head_revision()
    if current is None:
        return "the database holds no catalog yet; create it with: tessera db upgrade (or tessera serve)"
    if current != head:
        return (
            f"the catalog's schema is at revision {current} and this tessera needs {head}; "
            "run: tessera db upgrade"
        )
    return None


def _confirm(question: str, yes: bool) -> None:
    """Destructive commands ask first; without a terminal to ask on, they want --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail(f"{question} Pass --yes to confirm (no terminal to ask on)", 2)
    if not typer.confirm(question, default=False):
        fail("nothing was changed", 1)


def _operator() -> Principal:
    return Principal(name=OPERATOR, is_admin=True, via="no-auth")


@users_app.command("list")
def list_users(config: Path | None = ConfigOption) -> None:
    """List users: name, email, admin, bot, whether they have a password.

    Example: tessera users list --config tessera.yaml
    """
    from rich.console import Console
    from rich.table import Table

    from tessera.auth import store
    from tessera.catalog.kinds import USER

    with _container(config) as container:
        rows = []
        after = None
        while True:
            page = container.catalog.page(USER, limit=500, after=after, include="all")
            rows.extend(page.rows)
            after = page.after
            if after is None:
                break
        with container.engine.connect() as conn:
            with_password = set(store.users_with_passwords(conn))
        # The server's own notion of an administrator: the flag, or adminPrincipals (from the
        # catalog's own tenant for Entra-bound people).
        admins = {row.doc["id"]: _admin_by(container, row.doc) for row in rows}
    table = Table("name", "email", "admin", "bot", "password", "deleted")
    for row in rows:
        doc = row.doc
        table.add_row(
            doc["name"],
            doc.get("email", ""),
            admins[doc["id"]],
            "yes" if doc.get("isBot") else "",
            "yes" if doc["id"] in with_password else "",
            "yes" if doc.get("deleted") else "",
        )
    Console().print(table)


def _admin_by(container: Container, user: dict[str, object]) -> str:
    # The same answer as the API's adminBy field and the UI's Admin badge.
    reason = container.users.directory.admin_by(user)
    return f"yes ({reason})" if reason else ""


@users_app.command("delete")
def delete_user(
    name: str = typer.Argument(..., help="The user's name, e.g. admin."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    config: Path | None = ConfigOption,
) -> None:
    """Delete a user for good (hard delete): its tokens, password and identities go too.

    This is how to remove the default admin once Azure SSO is on, as the Azure SSO guide asks;
    a deleted admin is never re-created, even if listed in adminPrincipals.

    Example: tessera users delete admin
    """
    from tessera.errors import TesseraError

    with _container(config) as container:
        users = container.users
        user = users.directory.by_name(name, "all")
        if user is None:
            fail(f"no user named {name!r}")
        _confirm(
            f"Delete {name} ({user.get('email', '')}) for good, with its tokens, password and identities?",
            yes,
        )
        try:
            users.delete(_operator(), user["id"], hard=True, recursive=False)
        except TesseraError as exc:
            fail(exc.message)
    typer.echo(f"deleted user {name}")


@users_app.command("reset-password")
def reset_password(
    name: str = typer.Argument(..., help="The user's name."),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Read the new password from standard input (its first line) instead of generating one.",
    ),
    config: Path | None = ConfigOption,
) -> None:
    """Give a user a new password (basic authentication); every session of theirs ends.

    Without --password-stdin the password is random, printed once, and must be changed after
    signing in. With it, the password you give (it must meet the password policy) stands as it is:
    this is how to satisfy production mode's first-admin rule without signing in.

    Examples:

        tessera users reset-password alice

        printf '%s\\n' "$NEW_ADMIN_PASSWORD" | tessera users reset-password admin --password-stdin
    """
    from tessera.errors import TesseraError

    chosen: str | None = None
    if password_stdin:
        chosen = sys.stdin.readline().rstrip("\r\n")
        if not chosen:
            fail("no password on standard input (one line is read)", 2)
    with _container(config) as container:
        try:
            password = container.users.reset_password(name, chosen)
        except TesseraError as exc:
            fail(exc.message)
    if chosen is None:
        typer.echo(f"new password for {name}: {password}")
    else:
        typer.echo(f"password of {name} set; every session of {name} ended")


@bots_app.command("token")
def bot_token(
    name: str = typer.Argument("ingestion-bot", help="The bot's name."),
    expiry: str = typer.Option("30", "--expiry", help="Days: 1, 7, 30, 60 or 90 (or OneHour)."),
    switch_to_jwt: bool = typer.Option(
        False,
        "--switch-to-jwt",
        help="For a bot that signs in with Azure SSO: replace that with a JWT (its Azure sign-in stops).",
    ),
    config: Path | None = ConfigOption,
) -> None:
    """Print a new JWT for a bot; its previous token stops working.

    A bot set to Azure SSO (Settings » Bots, or the quickstart's ingestion-bot) is refused unless
    --switch-to-jwt says to replace its Azure sign-in with the JWT.

    Example: tessera bots token ingestion-bot --expiry 7 > bot.jwt
    """
    from tessera.catalog.kinds import BOT
    from tessera.errors import TesseraError

    with _container(config) as container:
        users = container.users
        container.keys.load()
        bot = container.catalog.find_by_name(BOT, name)
        if bot is None:
            fail(f"no bot named {name!r}")
        user = users.directory.by_id(bot["botUser"]["id"]) or {}
        current = user.get("authenticationMechanism") or {}
        if current.get("authType") == "SSO" and not switch_to_jwt:
            fail(
                f"{name} signs in with Azure SSO; a JWT would replace that and its Azure sign-in would stop "
                "working. Pass --switch-to-jwt to do it anyway, or use the bot's Azure credentials",
                2,
            )
        try:
            mechanism = users.generate_bot_token(_operator(), bot["botUser"]["id"], expiry)
        except TesseraError as exc:
            fail(exc.message)
    typer.echo(mechanism["JWTToken"])


@keys_app.command("rotate")
def rotate_keys(config: Path | None = ConfigOption) -> None:
    """Start signing with a new key; the old ones stay published until their tokens expire.

    The keys live in the database: every running server, on any host, picks the new key up
    within seconds. Fails when the database cannot be reached.

    Example: tessera keys rotate
    """
    from sqlalchemy.exc import SQLAlchemyError

    from tessera.errors import ConfigError

    with _container(config) as container:
        try:
            container.keys.load()
            kid = container.keys.rotate()
            published = len(container.keys.jwks()["keys"])
        except ConfigError as exc:
            fail(str(exc), 2)
        except SQLAlchemyError as exc:
            fail(f"the keys were not rotated: the database failed ({exc.__class__.__name__}: {exc})")
    typer.echo(f"signing with new key {kid}; {published} key(s) published")


@keys_app.command("list")
def list_keys(config: Path | None = ConfigOption) -> None:
    """The signing keys in the database, newest first: signing, published (their tokens may still
    be alive) or expired.

    Example: tessera keys list
    """
    from datetime import UTC, datetime

    from tessera.errors import ConfigError

    def when(ms: int | None) -> str:
        return "-" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ")

    with _container(config) as container:
        try:
            container.keys.load()
        except ConfigError as exc:
            fail(str(exc), 2)
        if container.keys.configured:
            fail("the signing key comes from RSA_PRIVATE_KEY_FILE_PATH; the database holds none", 2)
        for row in container.keys.history():
            state = container.keys.state(row)
            created, retired = when(row.created_at), when(row.retired_at)
            typer.echo(f"{row.kid}  {state:<9}  created {created}  retired {retired}  {row.origin}")


@secrets_app.command("rotate")
def rotate_secrets(config: Path | None = ConfigOption) -> None:
    """Re-encrypt every stored secret with the first key of FERNET_KEY.

    To change the key: put the new key first and keep the old one after it
    (FERNET_KEY=new,old), restart the servers, run this, then drop the old key.

    Example: FERNET_KEY=$NEW,$OLD tessera secrets rotate
    """
    from tessera.secrets.rotate import rotate_all

    with _container(config) as container:
        result = rotate_all(container.engine, container.box)
        keys = 0 if container.keys.configured else container.keys.reseal()
    typer.echo(
        f"re-encrypted {result.secrets} secret(s) in {result.documents} document(s) and {keys} signing key(s)"
    )
