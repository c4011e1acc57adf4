"""``python -m bench [name ...] [options]``: run benchmarks (``make bench`` runs them all).

With no name, runs every ``bench/*.py`` module that exposes ``main()``: the catalog first, then
the others by name. The options (everything from the first ``-`` argument on) are passed to
each benchmark's ``main``; ``--quick`` asks for a fast smoke run. When running them all, a
benchmark that rejects the options is skipped with a note rather than failed.

Each benchmark writes its own section of docs/benchmarks.md, so one that fails loses only its
own figures: the run goes on with the next and exits non-zero at the end. The run prints its
progress and total time; a full run (no names, no options: ``make bench``) also writes the
page's header: the commit, the date, the machine, the total duration, and each section's
outcome, duration and load average at its start and end.

    python -m bench                      # everything, full size
    python -m bench --quick              # a smoke run of those that accept --quick
    python -m bench catalog --backends sqlite --sizes 10000
"""

from __future__ import annotations

import importlib
import inspect
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._harness import BENCHMARKS_DOC, load_average, machine, markdown_table

_FIRST = ("catalog",)
# argparse exits with 2 on options it does not know.
_USAGE_ERROR = 2
# stoppable() turns SIGINT and SIGTERM into SystemExit(128 + signal): the whole run stops then.
_SIGNALLED = 128
HEADER_START = "<!-- make bench: run header, written by python -m bench -->"
HEADER_END = "<!-- make bench: end of run header -->"


@dataclass
class Outcome:
    """What one benchmark of the run did, for the progress lines and the page's header."""

    name: str
    result: str = "not run"
    seconds: float = 0.0
    load_start: str = ""
    load_end: str = ""
    interrupted: bool = False


@dataclass
class Run:
    started: float = field(default_factory=time.monotonic)
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    load_start: str = field(default_factory=load_average)
    outcomes: list[Outcome] = field(default_factory=list)


def available() -> list[str]:
    """Benchmark module names, catalog first; helpers (``_*.py``) are not benchmarks."""
    names = sorted(path.stem for path in Path(__file__).parent.glob("*.py") if not path.stem.startswith("_"))
    return [name for name in _FIRST if name in names] + [name for name in names if name not in _FIRST]


def _run(name: str, argv: list[str], *, named: bool) -> Outcome:
    outcome_of = Outcome(name, load_start=load_average())
    try:
        module = importlib.import_module(f"bench.{name}")
    except Exception:  # noqa: BLE001  (one broken benchmark must not hide the others' results)
        traceback.print_exc()
        print(f"bench: cannot import bench.{name}", file=sys.stderr)
        outcome_of.result, outcome_of.load_end = "FAILED (cannot import)", load_average()
        return outcome_of
    main: Callable[..., Any] | None = getattr(module, "main", None)
    if main is None:
        outcome_of.result = "no main()"
        return outcome_of
    print(f"\n=== bench {name} {' '.join(argv)}".rstrip(), file=sys.stderr, flush=True)
    started = time.monotonic()
    # argparse-based mains that take no argv read sys.argv; give them the same options.
    saved, sys.argv = sys.argv, [f"bench.{name}", *argv]
    try:
        takes_argv = bool(inspect.signature(main).parameters)
        outcome = main(argv) if takes_argv else main()
    except SystemExit as exc:
        outcome = exc.code
    except Exception:  # noqa: BLE001  (report it and go on with the next benchmark)
        traceback.print_exc()
        outcome = 1
    finally:
        sys.argv = saved
    outcome_of.seconds, outcome_of.load_end = time.monotonic() - started, load_average()
    if outcome == _USAGE_ERROR and argv and not named:
        # Running everything with options meant for some of them (--quick, --backends): one that
        # does not know them is skipped, not failed. Named explicitly, it fails.
        print(f"=== bench {name}: skipped, it does not accept {' '.join(argv)}", file=sys.stderr, flush=True)
        outcome_of.result = "skipped"
        return outcome_of
    # Not `outcome in (None, 0, True)`: 1 == True, so a failure would read as done.
    ok = outcome is None or outcome is True or (type(outcome) is int and outcome == 0)
    outcome_of.result = "done" if ok else f"FAILED ({outcome})"
    outcome_of.interrupted = isinstance(outcome, int) and outcome > _SIGNALLED
    print(
        f"=== bench {name}: {outcome_of.result} in {outcome_of.seconds:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return outcome_of


def header(run: Run, total_s: float, pending: list[str]) -> str:
    """The page's header: what one `make bench` run measured on, and how each section went."""
    info = machine()
    rows = [
        [
            f"`{o.name}`",
            o.result,
            f"{o.seconds / 60:.1f}",
            o.load_start or "-",
            o.load_end or "-",
        ]
        for o in run.outcomes
    ]
    rows += [[f"`{name}`", "not run (yet)", "-", "-", "-"] for name in pending]
    failed = [o.name for o in run.outcomes if o.result != "done"] + pending
    note = (
        f" The sections of {', '.join(failed)} did not complete in this run: their figures below, "
        "if any, are from an earlier run (each section names its own commit and date)."
        if failed
        else ""
    )
    return "\n".join(
        [
            HEADER_START,
            f"Latest `make bench` (`python -m bench`): tessera {info['commit']}, started {run.date}, "
            f"{info['cpu']}, Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL "
            f"{info['postgresql']}; total duration {total_s / 60:.1f} min; load average at start "
            f"{run.load_start}, at the end {load_average()}.{note}",
            "",
            markdown_table(["section", "result", "minutes", "load at start", "load at end"], rows),
            HEADER_END,
        ]
    )


def write_header(text: str, doc: Path = BENCHMARKS_DOC) -> None:
    """Replace the page's header, or put it right under the page's title."""
    current = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if HEADER_START in current and HEADER_END in current:
        head, rest = current.split(HEADER_START, 1)
        updated = head + text + rest.split(HEADER_END, 1)[1]
    else:
        title, _, rest = current.partition("\n")
        updated = f"{title}\n\n{text}\n\n{rest.lstrip(chr(10))}"
    doc.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    known = available()
    # Leading words name benchmarks; everything from the first option on is passed through.
    names: list[str] = []
    while args and not args[0].startswith("-"):
        names.append(args.pop(0))
    if not names and args and args[0] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(known))
        return 0
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"bench: no benchmark named {', '.join(unknown)}; have {', '.join(known)}", file=sys.stderr)
        return 2
    selected = names or known
    full_run = not names and not args
    run = Run()
    for number, name in enumerate(selected, 1):
        elapsed = time.monotonic() - run.started
        print(
            f"\nbench: [{number}/{len(selected)}] {name}, {elapsed / 60:.1f} min into the run, "
            f"load average {load_average()}",
            file=sys.stderr,
            flush=True,
        )
        run.outcomes.append(_run(name, args, named=bool(names)))
        if full_run:
            # After every section, so that a run that dies later still tells what it measured.
            write_header(header(run, time.monotonic() - run.started, selected[number:]))
        if run.outcomes[-1].interrupted:
            print("bench: interrupted; the sections after it did not run", file=sys.stderr)
            break
    total = time.monotonic() - run.started
    for outcome in run.outcomes:
        print(f"bench: {outcome.name}: {outcome.result}, {outcome.seconds / 60:.1f} min", file=sys.stderr)
    print(f"bench: total {total / 60:.1f} min", file=sys.stderr, flush=True)
    failed = [o.name for o in run.outcomes if o.result.startswith("FAILED")]
    if failed or len(run.outcomes) < len(selected):
        print(f"bench: failed: {', '.join(failed) or 'interrupted'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
