"""Operators' commands acting directly on the configured database: users, bots, keys, secrets.

They need no running server and no token: whoever can read the configuration and reach the
database is already an operator.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from tessera.cli.common import ConfigOption, fail, load

users_app = typer.Typer(
    help="Manage users of the catalog (acts on the configured database).", no_args_is_help=True
)
bots_app = typer.Typer(help="Manage bots and their tokens.", no_args_is_help=True)
keys_app = typer.Typer(help="tessera's JWT signing keys.", no_args_is_help=True)
secrets_app = typer.Typer(help="Secrets at rest (Fernet).", no_args_is_help=True)

OPERATOR = "tessera-cli"


@contextmanager
def _container(config: Path | None) -> Iterator[object]:
    from tessera.auth.keys import KeyRing
    from tessera.bootstrap import build_container
    from tessera.errors import ConfigError
    from tessera.storage import migrate

    settings = load(config)
    try:
        container = build_container(settings)
        keys: KeyRing = container.extras["keys"]
        keys.load()
        migrate.upgrade(container.engine)
    except ConfigError as exc:
        fail(str(exc), 2)
    try:
        yield container
    finally:
        container.close()


def _operator() -> object:
    from tessera.auth.principal import Principal

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
            page = container.catalog.page(USER, limit=500, after=after, include="all")  # type: ignore[attr-defined]
            rows.extend(page.rows)
            after = page.after
            if after is None:
                break
        with container.engine.connect() as conn:  # type: ignore[attr-defined]
            with_password = set(store.users_with_passwords(conn))
    table = Table("name", "email", "admin", "bot", "password", "deleted")
    for row in rows:
        doc = row.doc
        table.add_row(
            doc["name"],
            doc.get("email", ""),
            "yes" if doc.get("isAdmin") else "",
            "yes" if doc.get("isBot") else "",
            "yes" if doc["id"] in with_password else "",
            "yes" if doc.get("deleted") else "",
        )
    Console().print(table)


@users_app.command("delete")
def delete_user(
    name: str = typer.Argument(..., help="The user's name, e.g. admin."),
    config: Path | None = ConfigOption,
) -> None:
    """Delete a user for good (hard delete): its tokens, password and identities go too.

    This is how to remove the default admin once Azure SSO is on, as the Azure SSO guide asks;
    a deleted admin is never re-created, even if listed in adminPrincipals.

    Example: tessera users delete admin
    """
    from tessera.errors import TesseraError

    with _container(config) as container:
        users = container.extras["users"]  # type: ignore[attr-defined]
        user = users.directory.by_name(name)
        if user is None:
            fail(f"no user named {name!r}")
        try:
            users.delete(_operator(), user["id"], hard=True, recursive=False)
        except TesseraError as exc:
            fail(exc.message)
    typer.echo(f"deleted user {name}")


@users_app.command("reset-password")
def reset_password(
    name: str = typer.Argument(..., help="The user's name."),
    config: Path | None = ConfigOption,
) -> None:
    """Give a user a new random password (basic authentication), printed once.

    The user must change it after signing in; their sessions end.

    Example: tessera users reset-password admin
    """
    from tessera.errors import TesseraError

    with _container(config) as container:
        users = container.extras["users"]  # type: ignore[attr-defined]
        try:
            password = users.reset_password(name)
        except TesseraError as exc:
            fail(exc.message)
    typer.echo(f"new password for {name}: {password}")


@bots_app.command("token")
def bot_token(
    name: str = typer.Argument("ingestion-bot", help="The bot's name."),
    expiry: str = typer.Option("30", "--expiry", help="Days: 1, 7, 30, 60 or 90 (or OneHour)."),
    config: Path | None = ConfigOption,
) -> None:
    """Print a new JWT for a bot; its previous token stops working.

    Example: tessera bots token ingestion-bot --expiry 7 > bot.jwt
    """
    from tessera.catalog.kinds import BOT
    from tessera.errors import TesseraError

    with _container(config) as container:
        users = container.extras["users"]  # type: ignore[attr-defined]
        bot = container.catalog.find_by_name(BOT, name)  # type: ignore[attr-defined]
        if bot is None:
            fail(f"no bot named {name!r}")
        try:
            mechanism = users.generate_bot_token(_operator(), bot["botUser"]["id"], expiry)
        except TesseraError as exc:
            fail(exc.message)
    typer.echo(mechanism["JWTToken"])


@keys_app.command("rotate")
def rotate_keys(config: Path | None = ConfigOption) -> None:
    """Start signing with a new key; the old ones stay published until their tokens expire.

    Running servers pick the new key up within seconds.

    Example: tessera keys rotate
    """
    from tessera.auth.keys import KeyRing
    from tessera.errors import ConfigError

    settings = load(config)
    jwt_settings = settings.jwtTokenConfiguration
    ring = KeyRing(
        settings.home,
        private_path=jwt_settings.rsaprivateKeyFilePath,
        public_path=jwt_settings.rsapublicKeyFilePath,
    )
    try:
        ring.load()
        kid = ring.rotate()
    except ConfigError as exc:
        fail(str(exc), 2)
    typer.echo(f"signing with new key {kid}; {len(ring.jwks()['keys'])} key(s) published")


@secrets_app.command("rotate")
def rotate_secrets(config: Path | None = ConfigOption) -> None:
    """Re-encrypt every stored secret with the first key of FERNET_KEY.

    To change the key: put the new key first and keep the old one after it
    (FERNET_KEY=new,old), restart the servers, run this, then drop the old key.

    Example: FERNET_KEY=$NEW,$OLD tessera secrets rotate
    """
    from tessera.secrets.rotate import rotate_all

    with _container(config) as container:
        result = rotate_all(container.engine, container.extras["box"])  # type: ignore[attr-defined]
    typer.echo(f"re-encrypted {result.secrets} secret(s) in {result.documents} document(s)")
