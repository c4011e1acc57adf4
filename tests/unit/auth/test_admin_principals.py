from __future__ import annotations

from tessera.auth.directory import admin_emails
from tessera.config import AuthorizerSettings


def test_bare_names_take_the_principal_domain_and_emails_stay_themselves() -> None:
    settings = AuthorizerSettings(
        adminPrincipals=("admin", " Carol@Other.Example ", "", "ops"), principalDomain="Example.com"
    )
    expected = {"admin@example.com", "carol@other.example", "ops@example.com"}
    assert admin_emails(settings) == frozenset(expected)


def test_no_principals_means_no_administrator_by_listing() -> None:
    assert admin_emails(AuthorizerSettings(adminPrincipals=())) == frozenset()
