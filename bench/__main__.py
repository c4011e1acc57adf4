"""``python -m bench [name ...] [options]``: run benchmarks (``make bench`` runs them all).

With no name, runs every ``bench/*.py`` module that exposes ``main()``: the catalog first, then
the others by name. The options (everything from the first ``-`` argument on) are passed to
each benchmark's ``main``; ``--quick`` asks for a fast smoke run. When running them all, a
benchmark that rejects the options is skipped with a note rather than failed.

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
from pathlib import Path
from typing import Any

_FIRST = ("catalog",)
# argparse exits with 2 on options it does not know.
_USAGE_ERROR = 2


def available() -> list[str]:
    """Benchmark module names, catalog first; helpers (``_*.py``) are not benchmarks."""
    names = sorted(path.stem for path in Path(__file__).parent.glob("*.py") if not path.stem.startswith("_"))
    return [name for name in _FIRST if name in names] + [name for name in names if name not in _FIRST]


def _run(name: str, argv: list[str], *, named: bool) -> bool:
    try:
        module = importlib.import_module(f"bench.{name}")
    except Exception:  # noqa: BLE001  (one broken benchmark must not hide the others' results)
        traceback.print_exc()
        print(f"bench: cannot import bench.{name}", file=sys.stderr)
        return False
    main: Callable[..., Any] | None = getattr(module, "main", None)
    if main is None:
        return True
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
    elapsed = f"{time.monotonic() - started:.0f} s"
    if outcome == _USAGE_ERROR and argv and not named:
        # Running everything with options meant for some of them (--quick, --backends): one that
        # does not know them is skipped, not failed. Named explicitly, it fails.
        print(f"=== bench {name}: skipped, it does not accept {' '.join(argv)}", file=sys.stderr, flush=True)
        return True
    ok = outcome in (None, 0, True)
    print(
        f"=== bench {name}: {'done' if ok else f'FAILED ({outcome})'} in {elapsed}",
        file=sys.stderr,
        flush=True,
    )
    return ok


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
    failed = [name for name in names or known if not _run(name, args, named=bool(names))]
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
