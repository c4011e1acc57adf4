"""What a run did: counts per entity type, the failures, and whether that is a success."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tessera.ingest.errors import ThresholdError

ENTITY_TYPES = ("database", "databaseSchema", "table")
PipelineState = Literal["success", "partialSuccess", "failed"]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    # --dry-run: requests built and checked, not sent.
    checked: int = 0

    @property
    def succeeded(self) -> int:
        return self.created + self.updated + self.unchanged + self.deleted


@dataclass(frozen=True)
class Failure:
    entity_type: str
    fqn: str
    message: str


@dataclass
class RunResult:
    service: str
    database: str
    dry_run: bool
    server_version: str = ""
    counts: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in ENTITY_TYPES})
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    filtered: int = 0
    # Lineage edges derived from view definitions and written.
    lineage_edges: int = 0
    elapsed_s: float = 0.0
    threshold: int = 90

    @property
    def total(self) -> Counts:
        out = Counts()
        for counts in self.counts.values():
            for name in ("created", "updated", "unchanged", "deleted", "failed", "checked"):
                setattr(out, name, getattr(out, name) + getattr(counts, name))
        return out

    @property
    def success_pct(self) -> float:
        total = self.total
        attempted = total.succeeded + total.failed
        return 100.0 if attempted == 0 else 100.0 * total.succeeded / attempted

    @property
    def state(self) -> PipelineState:
        if self.total.failed == 0:
            return "success"
        return "partialSuccess" if self.success_pct >= self.threshold else "failed"


def threshold_error(result: RunResult, *, raise_on_error: bool) -> ThresholdError | None:
    """The error to exit with when too many entities failed (OpenMetadata's raiseOnError rule)."""
    if result.state != "failed" or not raise_on_error or result.dry_run:
        return None
    return ThresholdError(
        f"{result.total.failed} entities failed: {result.success_pct:.1f}% succeeded, "
        f"below successThreshold {result.threshold}%",
        hint="The failures are listed above; fix them, or lower workflowConfig.successThreshold.",
    )
