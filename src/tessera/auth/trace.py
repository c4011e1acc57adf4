"""A record of the checks a token went through, for ``tessera doctor token`` and the UI's
"Test sign-in".

The validator and the identity service run their checks inside :func:`checking`; given a
:class:`Trace`, each passed check is noted and the first refusal is kept as it is, the very
error the API answers with. The diagnosis is therefore the validator's own verdict, not a
second implementation that could drift from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tessera.errors import TesseraError


@dataclass(frozen=True)
class Refusal:
    check: str
    status: int
    message: str


@dataclass
class Trace:
    passed: list[tuple[str, str]] = field(default_factory=list)
    """(check, what was found), in order."""
    refusal: Refusal | None = None

    def note(self, check: str, detail: str = "") -> None:
        self.passed.append((check, detail))


@contextmanager
def checking(trace: Trace | None, check: str, detail: str = "") -> Iterator[None]:
    try:
        yield
    except TesseraError as exc:
        if trace is not None and trace.refusal is None:
            trace.refusal = Refusal(check, exc.status, exc.message)
        raise
    if trace is not None:
        trace.note(check, detail)
