"""What can stop an ingestion, as data the CLI renders in one place.

Each error carries a message that says what to change, and the exit code it maps to::

    IngestError                     1  generic failure
    +-- ConfigError                 2  the workflow YAML is wrong (line, key, what is allowed)
    +-- ServerError                 3  the catalog server cannot be reached or refuses us
    |   +-- ServerUnreachable       3  connection refused, DNS, TLS, timeout
    |   +-- NotAuthorized           3  401/403, with the server's own reason
    |   +-- TokenError              3  no token: MSAL/Entra (AADSTS code explained) or JWT file
    +-- SourceError                 4  the source database cannot be reached or read
    +-- ThresholdError              1  too many entities failed (successThreshold)

Services raise these; they never print or exit.
"""

from __future__ import annotations

from typing import ClassVar


class IngestError(Exception):
    exit_code: ClassVar[int] = 1
    title: ClassVar[str] = "Ingestion failed"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class ConfigError(IngestError):
    exit_code = 2
    title = "Workflow configuration error"


class ServerError(IngestError):
    exit_code = 3
    title = "Catalog server error"


class ServerUnreachable(ServerError):
    title = "Cannot reach the catalog server"


class NotAuthorized(ServerError):
    title = "The catalog server refused the credentials"

    def __init__(self, message: str, *, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class TokenError(ServerError):
    title = "Cannot get a token for the catalog server"

    def __init__(self, message: str, *, code: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class SourceError(IngestError):
    exit_code = 4
    title = "Cannot read the source database"


class ThresholdError(IngestError):
    exit_code = 1
    title = "Too many failures"
