"""Fixtures for the emulator's tests: a real HTTPS emulator in a background thread, fresh demo
tenants, an httpx client that trusts the emulator's CA, and a browser-like sign-in helper.

No mocks: MSAL talks to the emulator over HTTPS exactly as it talks to Entra.
"""

from __future__ import annotations

import html
import re
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import msal
import pytest

from tessera.entra.testing import DemoTenant, RunningEmulator, running_emulator


@pytest.fixture(scope="session")
def entra() -> Iterator[RunningEmulator]:
    """One emulator for the session; tests isolate themselves with their own tenants."""
    with running_emulator() as emulator:
        yield emulator


@pytest.fixture
def fresh_entra() -> Iterator[RunningEmulator]:
    """An emulator of the test's own, for tests that move its clock."""
    with running_emulator() as emulator:
        yield emulator


def new_demo(emulator: RunningEmulator, **kwargs: Any) -> DemoTenant:
    return emulator.build_demo_tenant(domain=f"t{uuid.uuid4().hex[:12]}.onmicrosoft.com", **kwargs)


@pytest.fixture
def demo(entra: RunningEmulator) -> DemoTenant:
    return new_demo(entra)


def tls_context(emulator: RunningEmulator) -> ssl.SSLContext:
    assert emulator.ca_file is not None
    return ssl.create_default_context(cafile=str(emulator.ca_file))


@pytest.fixture
def http(entra: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=tls_context(entra), follow_redirects=False, timeout=10) as client:
        yield client


def confidential(emulator: RunningEmulator, client_id: str, credential: Any, authority: str) -> Any:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=authority,
        instance_discovery=False,
        http_client=emulator.http_client(),
    )


def public(emulator: RunningEmulator, client_id: str, authority: str) -> Any:
    return msal.PublicClientApplication(
        client_id, authority=authority, instance_discovery=False, http_client=emulator.http_client()
    )


_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ACTION = re.compile(r'<form method="post" action="([^"]+)" id="(signin|consent)">')


@dataclass
class SignInResult:
    response: httpx.Response
    params: dict[str, str]
    """The query (or fragment) parameters of the final redirect."""


def form_of(page: httpx.Response) -> tuple[str, dict[str, str]]:
    match = _ACTION.search(page.text)
    assert match, f"no sign-in or consent form in: {page.text[:500]}"
    fields = {html.unescape(k): html.unescape(v) for k, v in _INPUT.findall(page.text)}
    return urljoin(str(page.url), html.unescape(match.group(1))), fields


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:800]
    location = urlsplit(response.headers["location"])
    raw = location.fragment or location.query
    return {k: v[0] for k, v in parse_qs(raw).items()}


_FORM_POST = re.compile(r'<form method="POST" name="hiddenform" action="([^"]+)">')


def form_post_params(page: httpx.Response) -> dict[str, str] | None:
    """The parameters of a ``response_mode=form_post`` answer (the auto-submitting page)."""
    if page.status_code != 200 or not _FORM_POST.search(page.text):
        return None
    return {html.unescape(k): html.unescape(v) for k, v in _INPUT.findall(page.text)}


def answer(response: httpx.Response) -> dict[str, str]:
    """The authorize answer's parameters, whatever the response mode."""
    posted = form_post_params(response)
    return posted if posted is not None else redirect_params(response)


def start_flow(app: Any, scopes: list[str], redirect_uri: str, **kwargs: Any) -> dict[str, Any]:
    """MSAL's auth code flow with form_post, the mode MSAL recommends (it warns otherwise)."""
    kwargs.setdefault("response_mode", "form_post")
    flow: dict[str, Any] = app.initiate_auth_code_flow(scopes, redirect_uri=redirect_uri, **kwargs)
    return flow


def sign_in(
    http: httpx.Client, auth_uri: str, username: str, password: str, *, accept_consent: bool = True
) -> SignInResult:
    """Do what a person does in the browser: open the authorize URL, fill the form, submit."""
    page = http.get(auth_uri)
    if page.status_code == 302:
        return SignInResult(page, redirect_params(page))
    posted = form_post_params(page)
    if posted is not None:
        return SignInResult(page, posted)
    assert page.status_code == 200, page.text[:800]
    action, fields = form_of(page)
    if 'id="consent"' in page.text:
        response = page  # already signed in: straight to the consent page
    else:
        response = http.post(action, data={**fields, "login": username, "passwd": password})
    if response.status_code == 200 and 'id="consent"' in response.text and accept_consent:
        action, fields = form_of(response)
        response = http.post(action, data={**fields, "consent": "accept"})
    posted = form_post_params(response)
    if posted is not None:
        return SignInResult(response, posted)
    if response.status_code != 302:
        return SignInResult(response, {})
    return SignInResult(response, redirect_params(response))
