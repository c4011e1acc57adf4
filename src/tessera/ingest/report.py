"""What a person sees: a Rich progress bar while the run goes, a summary table at the end.

The counts come from the server's bulk answers (``created`` / ``updated`` / ``unchanged`` per
row, failures with the server's message), so the summary says what the catalog did, not what
we sent. Progress, warnings and the summary go to stderr; stdout stays free for scripts.
"""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from tessera.ingest.result import ENTITY_TYPES, RunResult

LABELS = {"database": "Databases", "databaseSchema": "Schemas", "table": "Tables"}
MAX_FAILURES_SHOWN = 20


class RateColumn(ProgressColumn):
    """Tables per second since the task started."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0 or not task.completed or not task.description.startswith("Tables"):
            return Text("", style="progress.data.speed")
        return Text(f"{task.completed / elapsed:,.0f} tables/s", style="progress.data.speed")


class RichReport:
    """The pipeline's Observer, drawing on ``console`` (a live display only on a terminal)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._schemas = self._progress.add_task("Schemas", total=None, visible=False)
        self._tables = self._progress.add_task("Tables", total=0, visible=False)

    def __enter__(self) -> RichReport:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def phase(self, text: str) -> None:
        self._progress.console.print(f"[dim]{text}[/dim]")

    def schemas_found(self, total: int) -> None:
        self._progress.update(self._schemas, total=total, visible=True)

    def schema_started(self, schema: str, tables: int) -> None:
        with self._lock:
            total = (self._progress.tasks[self._tables].total or 0) + tables
            self._progress.update(self._tables, total=total, visible=True, description=f"Tables ({schema})")

    def tables_done(self, count: int) -> None:
        self._progress.advance(self._tables, count)

    def schema_done(self, schema: str) -> None:
        self._progress.advance(self._schemas, 1)

    def warning(self, text: str) -> None:
        self._progress.console.print(f"[yellow]warning:[/yellow] {text}", highlight=False)


def summary_table(result: RunResult) -> Table:
    title = (
        "Dry run: nothing was written" if result.dry_run else f"Ingested {result.service}.{result.database}"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("Entities")
    if result.dry_run:
        table.add_column("Would send", justify="right")
        table.add_column("Failed", justify="right")
    else:
        for name in ("Created", "Updated", "Unchanged", "Deleted", "Failed"):
            table.add_column(name, justify="right")
    for entity_type in ENTITY_TYPES:
        counts = result.counts[entity_type]
        failed = f"[red]{counts.failed}[/red]" if counts.failed else "0"
        if result.dry_run:
            table.add_row(LABELS[entity_type], str(counts.checked), failed)
        else:
            table.add_row(
                LABELS[entity_type],
                str(counts.created),
                str(counts.updated),
                str(counts.unchanged),
                str(counts.deleted),
                failed,
            )
    extra = f", {result.filtered} filtered out" if result.filtered else ""
    table.caption = f"Time {result.elapsed_s:.1f} s{extra}; server version {result.server_version}"
    table.caption_justify = "left"
    return table


def print_summary(console: Console, result: RunResult) -> None:
    if result.failures:
        console.print(f"[red]{len(result.failures)} failed:[/red]")
        for failure in result.failures[:MAX_FAILURES_SHOWN]:
            console.print(
                f"  [red]x[/red] {failure.entity_type} {failure.fqn}: {failure.message}", highlight=False
            )
        if len(result.failures) > MAX_FAILURES_SHOWN:
            console.print(f"  ... and {len(result.failures) - MAX_FAILURES_SHOWN} more")
    console.print(summary_table(result))
