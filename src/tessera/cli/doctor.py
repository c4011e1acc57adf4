"""``tessera doctor``: the sign-in configuration checked against the identity provider, and
``tessera doctor token``: why a token is or would be refused. Both print what to change; neither
prints a token or a secret.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tessera.cli.common import ConfigOption, fail, load

app = typer.Typer(
    help="Check the sign-in configuration against the identity provider, or explain a token.",
    invoke_without_command=True,
    no_args_is_help=False,
)

_MARKS = {"ok": "ok", "info": "info", "warning": "WARNING", "error": "ERROR"}
_COLOURS = {"warning": typer.colors.YELLOW, "error": typer.colors.RED}


@app.callback()
def doctor(ctx: typer.Context, config: Path | None = ConfigOption) -> None:
    """Check the sign-in configuration against the identity provider.

    Discovery and keys, tenant, client id, callback and public URL, the client secret, the app
    registration, administrators and clock skew; each finding names the setting to change.
    Exits 1 when something is wrong.
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = config
        return
    from tessera.auth import doctor as checks

    settings = load(config)
    auth = settings.authenticationConfiguration
    typer.echo(
        f"tessera doctor: provider {auth.provider}, clientType {auth.clientType}, authority {auth.authority}"
    )
    findings = checks.check_configuration(settings, roles_and_teams=_catalog_names(config))
    for finding in findings:
        mark = _MARKS[finding.status]
        typer.secho(f"  {mark:<8} {finding.check:<17} {finding.message}", fg=_COLOURS.get(finding.status))
        if finding.setting and finding.status in ("warning", "error"):
            typer.echo(f"  {'':<8} {'':<17} change: {finding.setting}")
    errors = sum(f.status == "error" for f in findings)
    warnings = sum(f.status == "warning" for f in findings)
    typer.echo(f"{errors} error(s), {warnings} warning(s)")
    raise typer.Exit(1 if errors else 0)


@app.command("token")
def token(
    ctx: typer.Context,
    value: str = typer.Argument(..., metavar="JWT|-", help="The token, or - to read it from standard input."),
) -> None:
    """Explain why a token is, or would be, refused.

    Each check the server runs, the one that refuses it with the server's own message, what the
    token says and what to change. The token itself is never printed.
    """
    from tessera.cli.operators import _container
    from tessera.web.sign_in import explain_token

    raw = sys.stdin.read() if value == "-" else value
    given = raw.strip().removeprefix("Bearer ").strip()
    if not given:
        fail("no token given (pass it, or - and the token on standard input)")
    with _container(ctx.obj) as container:
        found = explain_token(container, given)
    if found.accepted:
        typer.secho(found.verdict, fg=typer.colors.GREEN)
    else:
        typer.secho(f"Refused ({found.status}): {found.verdict}", fg=typer.colors.RED)
    for check in found.checks:
        outcome = "passed" if check["outcome"] == "passed" else "FAILED"
        detail = check["detail"] if check["outcome"] == "passed" else ""
        typer.echo(f"  {outcome:<7} {check['check']:<26} {detail}".rstrip())
    if found.hint:
        typer.echo(f"What to change: {found.hint}")
    for line in found.memberships:
        typer.echo(f"Memberships: {line}")
    typer.echo("The token says:")
    for key, shown in found.facts.items():
        typer.echo(f"  {key:<18} {_shown(shown)}")
    raise typer.Exit(0 if found.accepted else 1)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _catalog_names(config: Path | None) -> Any:
    """The catalog's role and team names for the mappings check, when there is a catalog."""
    from tessera.cli.operators import _catalog_problem

    settings = load(config)
    if not settings.authorizerConfiguration.providerMappings or _catalog_problem(settings) is not None:
        return None

    def names() -> tuple[set[str], set[str]]:
        from tessera.bootstrap import build_container
        from tessera.web.sign_in import roles_and_teams

        container = build_container(settings)
        try:
            return roles_and_teams(container)
        finally:
            container.close()

    return names
