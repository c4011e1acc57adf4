"""``faults``: make the identity provider misbehave on purpose (``tessera.entra.faults``)."""

from __future__ import annotations

import typer

from tessera.entra.cli.common import print_json, run, svc

faults_app = typer.Typer(
    help="Faults on demand: errors, delays, a JWKS outage, a clock offset, an unannounced key rollover.",
    no_args_is_help=True,
)
EndpointOption = typer.Option(
    ..., "--endpoint", "-e", help="token, keys, discovery, devicecode, graph or any."
)
CountOption = typer.Option(None, "--count", "-n", help="Only the next N calls (default: until cleared).")


@faults_app.command("add")
def fault_add(
    ctx: typer.Context,
    endpoint: str = EndpointOption,
    status: int | None = typer.Option(None, "--status", help="Answer with this HTTP status (400-599)."),
    error: str | None = typer.Option(None, "--error", help="OAuth error (default temporarily_unavailable)."),
    code: int | None = typer.Option(None, "--code", help="AADSTS code (default 90033)."),
    latency_ms: int | None = typer.Option(None, "--latency-ms", help="Delay the answer instead."),
    probability: float = typer.Option(1.0, "--probability", "-p", help="Fire with this probability."),
    count: int | None = CountOption,
) -> None:
    """Add a fault: an error answer (--status) or a delay (--latency-ms) for an endpoint.

    Example: tessera entra faults add --endpoint token --status 503 --count 2
    """
    created = run(
        lambda: svc(ctx).add_fault(
            endpoint,
            status=status,
            error=error,
            code=code,
            latency_ms=latency_ms,
            probability=probability,
            count=count,
        )
    )
    typer.echo(f"fault {created['id']}: {created['kind']} on {created['endpoint']}")


@faults_app.command("jwks-outage")
def fault_jwks_outage(ctx: typer.Context, count: int | None = CountOption) -> None:
    """The keys endpoint answers 503 until cleared.

    Example: tessera entra faults jwks-outage
    """
    created = run(lambda: svc(ctx).jwks_outage(count=count))
    typer.echo(f"fault {created['id']}: the JWKS answers 503")


@faults_app.command("clock")
def fault_clock(
    ctx: typer.Context,
    offset: float = typer.Option(..., "--offset", help="Seconds (negative: behind); 0 to reset."),
) -> None:
    """Move the emulator's clock: tokens are issued (and codes expire) by the moved time.

    Example: tessera entra faults clock --offset 600
    """
    typer.echo(f"clock offset {run(lambda: svc(ctx).set_clock_offset(offset)):+.0f} s")


@faults_app.command("rollover")
def fault_rollover(ctx: typer.Context) -> None:
    """Sign with a key never published: validators must refetch the JWKS on the unknown kid.

    Example: tessera entra faults rollover
    """
    typer.echo(f"signing with unannounced key {run(lambda: svc(ctx).rotate_keys(force=True))}")


@faults_app.command("list")
def fault_list(ctx: typer.Context) -> None:
    """List active faults. Example: tessera entra faults list"""
    print_json(
        {"faults": run(lambda: svc(ctx).faults()), "clockOffset": run(lambda: svc(ctx).clock_offset())}
    )


@faults_app.command("clear")
def fault_clear(
    ctx: typer.Context,
    fault_id: int | None = typer.Argument(None, help="One fault (default: all and the clock)."),
) -> None:
    """Remove faults (all of them, and the clock offset, without an id).

    Example: tessera entra faults clear
    """
    removed = run(lambda: svc(ctx).clear_faults(fault_id))
    if fault_id is None:
        run(lambda: svc(ctx).set_clock_offset(0))
    typer.echo(f"removed {removed} fault(s)")
