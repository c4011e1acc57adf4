"""Building a tessera process: settings -> container -> a migrated, seeded database.

``build_container`` wires the services; ``start`` refuses unsafe production configurations,
loads keys, migrates, installs what every catalog has, and says loudly what it created.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from tessera import sign_in_settings
from tessera.audit.service import AuditLog
from tessera.auth.authenticator import TokenAuthenticator
from tessera.auth.cache import TokenCache
from tessera.auth.confidential import ConfidentialClient
from tessera.auth.directory import UserDirectory
from tessera.auth.entra import EntraValidator
from tessera.auth.entra import http_client as entra_http_client
from tessera.auth.graph import GraphGroups
from tessera.auth.identity import EntraIdentities
from tessera.auth.interfaces import Authenticator, Authorizer
from tessera.auth.keys import KeyRing
from tessera.auth.memberships import MembershipSync
from tessera.auth.noauth import WARNING, AllowAllAuthorizer, NoAuthAuthenticator
from tessera.auth.policies import PolicyAuthorizer
from tessera.auth.sessions import WebSessions
from tessera.auth.tokens import TesseraTokens
from tessera.catalog import builtin
from tessera.catalog.kinds import USER
from tessera.catalog.service import CatalogService
from tessera.clock import SYSTEM_CLOCK, Clock
from tessera.config import Settings
from tessera.container import Container
from tessera.errors import ConfigError, NotFound
from tessera.files import too_open
from tessera.lineage.service import EdgeCleanup, LineageService
from tessera.microsoft import MICROSOFT_HOSTS
from tessera.queries.routes import query_presenter
from tessera.secrets.box import load_box
from tessera.secrets.hooks import ConnectionSecrets, secrets_presenter
from tessera.secrets.rotate import seal_plaintext
from tessera.settings.service import SettingsService
from tessera.storage import migrate
from tessera.storage.db import create_engine, sqlite_path, write_transaction
from tessera.tabledata import service as table_data
from tessera.tabledata.presenter import table_data_preloader, table_data_presenter
from tessera.tags import builtin as tags_builtin
from tessera.tags.related_terms import RelatedTermsBothWays
from tessera.tags.rules import GlossaryRules, LabelRules
from tessera.tags.usage import LabelIndex, UsageCounts
from tessera.users import bootstrap as users_bootstrap
from tessera.users.accounts import Accounts
from tessera.users.hooks import SecurityHooks, pipeline_connection_presenter, user_presenter
from tessera.users.listener import SecurityListener
from tessera.users.service import UserService
from tessera.users.teams import TeamRules

log = logging.getLogger("tessera")
_PLAINTEXT_SEALED = "secrets.plaintextSealed"


def build_container(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> Container:
    _refuse_unsupported(settings)
    _refuse_unsafe_production(settings)
    engine = create_engine(
        settings.database_url, pool_size=settings.database.poolSize, echo=settings.database.echo
    )
    catalog = CatalogService(engine, clock=clock.now)
    box, generated = load_box(
        settings.fernetConfiguration.fernetKey,
        settings.home,
        production=settings.server.production,
        key_file=settings.fernetConfiguration.fernetKeyFile,
    )
    if generated and sqlite_path(settings.database_url) is None:
        # Each replica would generate a key of its own and could not open the others' secrets.
        log.warning(
            "the Fernet key was generated into %s, but the database is shared: every replica needs the "
            "same key; set FERNET_KEY or FERNET_KEY_FILE (production mode refuses to start without one)",
            settings.home,
        )
    jwt_settings = settings.jwtTokenConfiguration
    keys = KeyRing(
        engine,
        box,
        settings.home,
        private_path=jwt_settings.rsaprivateKeyFilePath,
        public_path=jwt_settings.rsapublicKeyFilePath,
        clock=clock.now,
        monotonic=clock.monotonic,
    )
    tokens = TesseraTokens(
        keys,
        jwt_settings.jwtissuer,
        leeway_s=settings.authenticationConfiguration.clockLeewaySeconds,
        clock=clock.now,
    )
    directory = UserDirectory(catalog, settings.authorizerConfiguration)
    audit = AuditLog(engine)
    accounts = Accounts(engine, settings, directory, tokens, audit, clock=clock.now)
    users = UserService(catalog, engine, settings, directory, tokens, box, accounts, audit, clock=clock.now)
    catalog.add_hook(SecurityHooks(catalog))
    catalog.add_hook(TeamRules(catalog))
    catalog.add_hook(ConnectionSecrets(box))
    system_settings = SettingsService(engine, settings, clock=clock.now)
    catalog.add_hook(
        LabelRules(catalog, lambda: system_settings.stored("assetCertificationSettings"), clock=clock.now)
    )
    catalog.add_hook(GlossaryRules(catalog))
    catalog.add_listener(SecurityListener(clock=clock.now))
    catalog.add_listener(LabelIndex())
    catalog.add_listener(RelatedTermsBothWays())
    catalog.add_listener(EdgeCleanup())
    catalog.add_listener(table_data.Cleanup())
    tables = table_data.TableDataService(engine, catalog, clock=clock.now)
    cache = TokenCache(engine, clock=clock.now, monotonic=clock.monotonic)
    provider = settings.authenticationConfiguration.provider
    identities: EntraIdentities | None = None
    sessions: WebSessions | None = None
    idp_http = None
    if provider == "azure":
        idp_http = entra_http_client(settings.authenticationConfiguration)
        validator = EntraValidator(settings.authenticationConfiguration, idp_http, monotonic=clock.monotonic)
        # Listed administrators count only from the catalog's own tenant.
        directory.home_tenant = validator.home_tenant
        identities = EntraIdentities(
            validator,
            catalog,
            engine,
            directory,
            settings,
            audit,
            memberships=_memberships(settings, catalog, engine, audit, idp_http, clock),
            clock=clock.now,
        )
        if settings.authenticationConfiguration.clientType == "confidential":
            client = ConfidentialClient(settings, box, idp_http, clock=clock.now)
            sessions = WebSessions(
                engine, settings, box, cache, directory, identities, client, audit, clock=clock.now
            )
    authenticator: Authenticator
    authorizer: Authorizer
    if provider == "no-auth":
        authenticator, authorizer = NoAuthAuthenticator(), AllowAllAuthorizer()
    else:
        authenticator = TokenAuthenticator(
            tokens, cache, directory, idp=identities, sessions=sessions, clock=clock.now
        )
        authorizer = PolicyAuthorizer(catalog, clock=clock.monotonic)
    container = Container(
        settings=settings,
        engine=engine,
        catalog=catalog,
        authenticator=authenticator,
        authorizer=authorizer,
        users=users,
        audit=audit,
        keys=keys,
        tokens=tokens,
        box=box,
        token_cache=cache,
        system_settings=system_settings,
        lineage=LineageService(engine, clock=clock.now),
        table_data=tables,
        entra=identities,
        sessions=sessions,
        presenters=[
            user_presenter(users),
            secrets_presenter(box, authorizer),
            pipeline_connection_presenter(users, settings),
            UsageCounts(engine),
            table_data_presenter(tables, authorizer),
            query_presenter,
        ],
        preloaders=[table_data_preloader(tables)],
    )
    if idp_http is not None:
        container.closeables.append(idp_http.close)
    return container


def _memberships(
    settings: Settings, catalog: CatalogService, engine: Any, audit: AuditLog, http: Any, clock: Clock
) -> MembershipSync | None:
    """Entra app roles and groups mapped to administrators, roles and teams, when configured."""
    authz = settings.authorizerConfiguration
    if not authz.providerMappings:
        return None
    graph = GraphGroups(
        settings.authenticationConfiguration, http, ttl_s=authz.groupsCacheSeconds, clock=clock.now
    )
    return MembershipSync(catalog, engine, authz.providerMappings, audit, graph, clock=clock.now)


def start(container: Container) -> users_bootstrap.Bootstrapped:
    """Bring the database to the current schema and install what every catalog has."""
    settings = container.settings
    keys = container.keys
    if settings.authenticationConfiguration.provider == "no-auth":
        log.warning(WARNING)
    _check_file_modes(settings)
    if settings.server.production:
        insecure = keys.insecure_files()
        if insecure:
            raise ConfigError(
                "production mode refuses key files that others can read: "
                + ", ".join(str(path) for path in insecure)
                + "; run: chmod 600 "
                + " ".join(str(path) for path in insecure)
            )
    _migrate(container)
    # After the migrations: the managed ring lives in the database.
    keys.load()
    _seal_plaintext_secrets(container)
    builtin.install(container.catalog)
    tags_builtin.install(container.catalog)
    created = users_bootstrap.bootstrap(container.catalog, container.users.accounts, settings)
    _announce_administrators(container)
    _check_passwords(container, container.users)
    return created


def _migrate(container: Container) -> None:
    """server.migrate: auto applies pending migrations; check refuses an old schema; never trusts it."""
    mode = container.settings.server.migrate_mode
    if mode == "auto":
        migrate.upgrade(container.engine)
        return
    if mode == "never":
        return
    current = migrate.current_revision(container.engine)
    head = migrate.head_revision()
    if current == head:
        return
    where = container.settings.database_url.split("@")[-1]
    found = f"is at schema revision {current}" if current else "holds no catalog yet"
    raise ConfigError(
        f"the database {where} {found} and this tessera needs {head}; server.migrate is check, so "
        "migrations are a step of their own: run tessera db upgrade (with the same configuration: the "
        "migration Job of the Kubernetes manifests), or start once with --migrate auto"
    )


def _seal_plaintext_secrets(container: Container) -> None:
    """Once per database: seal what an older tessera stored in the clear (pipeline secrets)."""
    from tessera.auth import store

    with container.engine.connect() as conn:
        if store.get_setting(conn, _PLAINTEXT_SEALED):
            return
    with migrate.exclusive(container.engine):
        sealed = seal_plaintext(container.engine, container.box)
        with write_transaction(container.engine) as conn:
            store.put_setting(conn, _PLAINTEXT_SEALED, "done", int(time.time() * 1000))
    if sealed.secrets:
        log.warning(
            "sealed %d secret(s) stored in the clear in %d document(s)", sealed.secrets, sealed.documents
        )


def _check_file_modes(settings: Settings) -> None:
    """TESSERA_HOME and the SQLite files hold password hashes, the audit log and sealed secrets."""
    paths = [settings.home]
    database = sqlite_path(settings.database_url)
    if database is not None:
        paths += [
            database,
            database.with_name(database.name + "-wal"),
            database.with_name(database.name + "-shm"),
        ]
    loose = too_open(paths)
    if not loose:
        return
    fix = "; ".join(f"chmod {700 if path.is_dir() else 600} {path}" for path in loose)
    message = f"others may read {', '.join(str(path) for path in loose)}; run: {fix}"
    if settings.server.production:
        raise ConfigError("production mode refuses to start: " + message)
    log.warning(message)


def _announce_administrators(container: Container) -> None:
    """Who adminPrincipals makes an administrator, resolved, so that a mistyped domain shows."""
    emails = ", ".join(sorted(container.users.directory.admin_emails)) or "nobody"
    auth = container.settings.authenticationConfiguration
    where = ""
    if auth.provider == "azure":
        tenants = auth.allowedTenants[:1] or (auth.authority.rstrip("/").rsplit("/", 1)[-1],)
        where = f" (people signing in with Entra ID: from the catalog's own tenant {tenants[0]} only)"
    log.info("administrators by adminPrincipals: %s%s", emails, where)


def _refuse_unsupported(settings: Settings) -> None:
    # What tessera ignored of OpenMetadata's configuration: one line each.
    for notice in settings.notices:
        log.warning(notice)
    for notice in sign_in_settings.refuse_incomplete(settings):
        log.warning(notice)


def _refuse_unsafe_production(settings: Settings) -> None:
    if not settings.server.production:
        return
    auth = settings.authenticationConfiguration
    if auth.provider == "no-auth":
        raise ConfigError(
            "production mode refuses authenticationConfiguration.provider no-auth; "
            "set AUTHENTICATION_PROVIDER to basic or azure"
        )
    public = settings.server.publicUrl or ""
    if urlsplit(public).scheme == "http" and not settings.server.tlsTerminatedUpstream:
        raise ConfigError(
            f"production mode refuses the plain-http public URL {public}: tokens and passwords would cross "
            "the network readable. Serve tessera behind HTTPS and set TESSERA_PUBLIC_URL to its https:// "
            "address; if TLS really is terminated before this URL (a mesh, a private link), say so with "
            "server.tlsTerminatedUpstream: true (TESSERA_TLS_TERMINATED_UPSTREAM)"
        )
    host = (urlsplit(auth.authority).hostname or "").lower()
    if auth.provider == "azure" and host not in MICROSOFT_HOSTS and not auth.nonMicrosoftAuthority:
        bundle = f" trusted through the CA bundle {auth.idpCaBundle}" if auth.idpCaBundle else ""
        raise ConfigError(
            f"production mode refuses the identity provider at {host or auth.authority!r}{bundle}: it is not "
            "one of Microsoft Entra ID's hosts (login.microsoftonline.com, ...), so it is an emulator or "
            "another provider speaking for your tenant. Use https://login.microsoftonline.com/<tenant id>, "
            "or, for a demo against tessera.entra, declare it with "
            "authenticationConfiguration.nonMicrosoftAuthority: true (TESSERA_NON_MICROSOFT_AUTHORITY)"
        )


def _check_passwords(container: Container, users: UserService) -> None:
    """Passwords left over when SSO is on, or a first-admin password never changed."""
    from tessera.auth import store

    settings = container.settings
    production = settings.server.production
    with container.engine.connect() as conn:
        holders = store.users_with_passwords(conn)
        credentials = {user_id: store.get_credential(conn, user_id) for user_id in holders}
    named = {user_id: _any_user(container, user_id) for user_id in holders}
    # Soft-deleted ones count: an administrator can restore them, password and all.
    held = {user_id: doc for user_id, doc in named.items() if doc is not None}
    live = {user_id: doc for user_id, doc in held.items() if not doc.get("deleted")}
    if settings.authenticationConfiguration.provider != "basic" and held:
        names = ", ".join(
            sorted(doc["name"] + (" (soft-deleted)" if doc.get("deleted") else "") for doc in held.values())
        )
        provider = settings.authenticationConfiguration.provider
        message = (
            f"users with a password still exist while provider is {provider}: "
            f"{names}. Delete them (as the seed says for the default admin): "
            + "; ".join(f"tessera users delete {doc['name']}" for doc in held.values())
        )
        if production:
            raise ConfigError("production mode refuses to start: " + message)
        log.warning(message)
    if production and settings.authenticationConfiguration.provider == "basic":
        unchanged = [
            live[u]["name"] for u, c in credentials.items() if c is not None and c.must_change and u in live
        ]
        if unchanged:
            raise ConfigError(
                f"production mode refuses to start: the initial password of {', '.join(unchanged)} was never "
                "changed; sign in and change it (PUT /api/v1/users/changePassword) or run "
                f"tessera users reset-password {unchanged[0]} and change the new one"
            )


def _any_user(container: Container, user_id: str) -> dict[str, Any] | None:
    try:
        return container.catalog.get(USER, user_id, "all")
    except NotFound:
        return None
