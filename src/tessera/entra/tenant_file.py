"""The declarative tenant file: tenants, users, groups, app registrations, secrets and consent,
created idempotently at start (``tessera entra serve --config tenant.yaml``) or on demand.

Objects are matched by their natural key (tenant domain or id, user principal name, app appId
or display name, scope and role values, secret display name), so applying a file twice changes
nothing. ``${VAR}`` and ``${VAR:-default}`` in values are read from the environment: secrets
belong there, not in the file. A secret or password without a value is generated once and
reported in the returned lines, the only time it is shown. Example::

    tenants:
      - domain: contoso.onmicrosoft.com
        displayName: Contoso
        users:
          - userPrincipalName: alice@contoso.onmicrosoft.com
            password: ${ALICE_PASSWORD}
        applications:
          - displayName: tessera UI
            spa: {redirectUris: ["http://localhost:8585/callback"]}
            identifierUris: ["api://{appId}"]
            api:
              requestedAccessTokenVersion: 2
              oauth2PermissionScopes: [{value: access_as_user, type: User}]
          - displayName: tessera ingestion
            requiredResourceAccess: [{resource: tessera UI, scopes: [access_as_user]}]
            grantAdminConsent: true
            passwordCredentials: [{displayName: ingestion, expires: 180d, secretText: ${INGEST_SECRET}}]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import expandvars
import yaml

from tessera.entra.directory import DirectoryError, sha256_hex
from tessera.entra.service import DirectoryService

# Each unset variable stops expandvars once; the names of all of them make a better message.
_MAX_MISSING = 100


def expand_environment(text: str, env: Mapping[str, str], source: object) -> str:
    """``${VAR}`` and ``${VAR:-default}`` as a shell expands them (``$VAR`` without braces is
    left alone: secrets may contain ``$``). Every unset variable without a default is named in
    the error."""
    # A copy: `${VAR:=default}` assigns, and expandvars would write into the caller's mapping.
    working = {k: v for k, v in env.items() if k != "EXPANDVARS_RECOVER_NULL"}
    missing: list[str] = []
    for _ in range(_MAX_MISSING):
        try:
            expanded: str = expandvars.expand(text, environ=working, nounset=True, surrounded_vars_only=True)
        except expandvars.UnboundVariable as exc:
            name = str(exc.args[0]).split(":", 1)[0]
            missing.append(name)
            working[name] = ""
        except expandvars.ExpandvarsException as exc:
            raise DirectoryError(f"{source}: {exc.args[0]}") from None
        else:
            if missing:
                break
            return expanded
    raise DirectoryError(
        f"{source}: environment variable(s) {', '.join(sorted(set(missing)))} are referenced but not set."
    )


def read_tenant_file(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DirectoryError(f"cannot read the tenant file {path}: {exc.strerror}") from None
    text = expand_environment(text, env, path)
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DirectoryError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise DirectoryError(f"{path}: the top level must be a mapping with a 'tenants' list.")
    return doc


def _list(node: Mapping[str, Any], key: str) -> list[Any]:
    value = node.get(key) or []
    if not isinstance(value, list):
        raise DirectoryError(f"'{key}' must be a list.")
    return value


def apply_tenant_file(service: DirectoryService, doc: Mapping[str, Any]) -> list[str]:
    unknown = set(doc) - {"tenants"}
    if unknown:
        raise DirectoryError(f"unknown top-level key(s) {', '.join(sorted(unknown))}: only 'tenants'.")
    report: list[str] = []
    for tnode in _list(doc, "tenants"):
        report += _apply_tenant(service, tnode)
    return report


def _apply_tenant(service: DirectoryService, node: Mapping[str, Any]) -> list[str]:
    if "domain" not in node:
        raise DirectoryError("every tenant needs a 'domain' (e.g. contoso.onmicrosoft.com).")
    tenant = service.ensure_tenant(str(node["domain"]), node.get("displayName"), node.get("id"))
    tid = tenant["id"]
    report = [f"tenant {tenant['verifiedDomains'][0]['name']} ({tid})"]
    settings = node.get("settings") or {}
    unknown = set(settings) - {"refreshTokenReuse"}
    if unknown:
        raise DirectoryError(
            f"unknown tenant setting(s) {', '.join(sorted(unknown))}: only refreshTokenReuse."
        )
    if settings:
        service.update_tenant(tid, refresh_token_reuse=settings.get("refreshTokenReuse"))
    for unode in _list(node, "users"):
        upn = str(unode["userPrincipalName"])
        existing = service.find_user(tid, upn if "@" in upn else f"{upn}@{node['domain']}")
        password = unode.get("password")
        if existing is None:
            created = service.create_user(
                tid,
                upn,
                password,
                display_name=unode.get("displayName"),
                mail=unode.get("mail"),
                given_name=unode.get("givenName"),
                surname=unode.get("surname"),
                user_id=unode.get("id"),
                password_policies=unode.get("passwordPolicies"),
                mfa_required=bool(unode.get("mfaRequired", False)),
                federated_issuer=unode.get("federatedIssuer"),
                administrator=bool(unode.get("administrator", False)),
            )
            line = f"  user {created['userPrincipalName']} ({created['id']})"
            if password is None:
                line += f" password: {created['password']}"
            report.append(line)
        elif password:
            service.set_password(tid, existing["id"], password)
    gnodes = _list(node, "groups")
    # Groups first, members next: a group may list a group defined after it.
    for gnode in gnodes:
        group = service.create_group(tid, str(gnode["displayName"]), description=gnode.get("description"))
        report.append(f"  group {group['displayName']} ({group['id']})")
    for gnode in gnodes:
        for member in _list(gnode, "members"):
            service.add_group_member(tid, str(gnode["displayName"]), str(member))
    for mnode in _list(node, "managedIdentities"):
        identity = service.create_managed_identity(
            tid,
            str(mnode["displayName"]),
            user_assigned=bool(mnode.get("userAssigned", False)),
            client_id=mnode.get("clientId"),
        )
        report.append(f"  managed identity {identity['displayName']}: client id {identity['appId']}")
    apps = _list(node, "applications")
    for anode in apps:
        report += _apply_app(service, tid, anode)
    # Permissions, consent and assignments refer to other apps: a second pass.
    for anode in apps:
        ref = anode.get("appId") or anode["displayName"]
        for rnode in _list(anode, "requiredResourceAccess"):
            service.add_permission(
                tid,
                ref,
                str(rnode["resource"]),
                scopes=[str(v) for v in _list(rnode, "scopes")],
                roles=[str(v) for v in _list(rnode, "roles")],
            )
        if anode.get("grantAdminConsent"):
            service.grant_admin_consent(tid, ref)
        for assignment in _list(anode, "assignments"):
            if "user" in assignment:
                service.assign_user(tid, ref, str(assignment["user"]), assignment.get("role"))
            elif "group" in assignment:
                service.assign_group(tid, ref, str(assignment["group"]), assignment.get("role"))
            elif "application" in assignment:
                service.assign_service_principal(
                    tid, ref, str(assignment["application"]), str(assignment["role"])
                )
            else:
                raise DirectoryError("an assignment names a 'user', a 'group' or an 'application'.")
    return report


def _apply_app(service: DirectoryService, tid: str, node: Mapping[str, Any]) -> list[str]:
    name = node.get("displayName")
    if not name:
        raise DirectoryError("every application needs a 'displayName'.")
    app = service.find_app(tid, node.get("appId") or name)
    web = node.get("web") or {}
    implicit = web.get("implicitGrantSettings") or {}
    spa = (node.get("spa") or {}).get("redirectUris") or []
    public = (node.get("publicClient") or {}).get("redirectUris") or []
    if app is None:
        app = service.create_app(
            tid,
            name,
            sign_in_audience=node.get("signInAudience", "AzureADMyOrg"),
            app_id=node.get("appId"),
        )
    ref = app["appId"]
    api = node.get("api") or {}
    service.update_app(
        tid,
        ref,
        id_tokens=implicit.get("enableIdTokenIssuance"),
        access_tokens=implicit.get("enableAccessTokenIssuance"),
        token_version=api.get("requestedAccessTokenVersion"),
        fallback_public_client=node.get("isFallbackPublicClient"),
        assignment_required=node.get("appRoleAssignmentRequired"),
        group_membership_claims=node.get("groupMembershipClaims"),
        logout_url=web.get("logoutUrl"),
        add_spa_redirect_uris=list(spa),
        add_web_redirect_uris=list(web.get("redirectUris") or []),
        add_public_client_redirect_uris=list(public),
        optional_claims=_optional_claims(node.get("optionalClaims")),
        sign_in_audience=node.get("signInAudience"),
    )
    for uri in node.get("identifierUris") or []:
        service.expose_api(tid, ref, str(uri).replace("{appId}", ref))
    for scope in api.get("oauth2PermissionScopes") or []:
        service.add_scope(
            tid,
            ref,
            str(scope["value"]),
            consent_type=scope.get("type", "User"),
            admin_display_name=scope.get("adminConsentDisplayName"),
            admin_description=scope.get("adminConsentDescription"),
        )
    for role in node.get("appRoles") or []:
        service.add_app_role(
            tid,
            ref,
            str(role["value"]),
            allowed_member_types=role.get("allowedMemberTypes"),
            display_name=role.get("displayName"),
            description=role.get("description"),
        )
    report = [f"  app {name}: client id {ref}"]
    current = service.find_app(tid, ref) or {}
    have = {c["displayName"] for c in current.get("passwordCredentials", [])}
    for cred in _list(node, "passwordCredentials"):
        label = cred.get("displayName")
        value = cred.get("secretText")
        if label in have and label is not None:
            continue
        if value and _secret_known(service, tid, ref, str(value)):
            continue
        new = service.add_secret(
            tid, ref, display_name=label, expires=cred.get("expires", "180d"), value=value
        )
        if not value:
            report.append(f"    secret {label or new['keyId']}: {new['secretText']} (shown once)")
    thumbs = {c["customKeyIdentifier"] for c in current.get("keyCredentials", [])}
    for cred in _list(node, "keyCredentials"):
        data = Path(str(cred["certificateFile"])).read_bytes()
        import hashlib

        from tessera.entra.service import load_certificate

        thumb = hashlib.sha1(load_certificate(data), usedforsecurity=False).hexdigest().upper()
        if thumb not in thumbs:
            service.add_certificate(tid, ref, data, display_name=cred.get("displayName"))
    return report


def _optional_claims(node: Any) -> dict[str, list[str]] | None:
    if not node:
        return None
    return {
        kind: [c["name"] if isinstance(c, dict) else str(c) for c in claims or []]
        for kind, claims in dict(node).items()
    }


def _secret_known(service: DirectoryService, tid: str, ref: str, value: str) -> bool:
    from tessera.entra.credentials import password_credentials
    from tessera.entra.directory import get_tenant
    from tessera.entra.registrations import get_application

    with service.store.transaction() as s:
        app = get_application(s, ref, get_tenant(s, tid))
        return any(c.secret_hash == sha256_hex(value) for c in password_credentials(s, app))
