"""Who is calling: the outcome of authentication, the input of authorization."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Via = Literal["no-auth", "basic", "bot", "personal-token", "azure", "azure-app"]


@dataclass(frozen=True)
class Principal:
    name: str
    email: str | None = None
    user_id: str | None = None
    is_admin: bool = False
    is_bot: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)
    team_ids: frozenset[str] = field(default_factory=frozenset)
    team_names: frozenset[str] = field(default_factory=frozenset)
    via: Via = "no-auth"

    @property
    def display(self) -> str:
        return self.email or self.name


ANONYMOUS_ADMIN = Principal(name="anonymous", is_admin=True, via="no-auth")
