// Signing in with Microsoft Entra ID as a single-page application: the OpenID Connect
// authorization code flow with PKCE, written against the specifications rather than vendored
// (MSAL.js is not an ES module):
//
//   RFC 6749 §4.1 (authorization code grant), §6 (refresh), §10.12 (state, against CSRF)
//   RFC 7636 (PKCE): §4.1 code_verifier, §4.2 code_challenge S256
//   OpenID Connect Core 1.0: §3.1.2.1 authentication request, §3.1.3.7 ID token validation,
//     §12.2 ID tokens from a refresh
//   OpenID Connect Discovery 1.0 §4, RP-Initiated Logout 1.0 §2
//
// Entra's rules for single-page apps: the redirect URI is registered as "Single-page
// application", the code is redeemed from the browser (a cross-origin fetch carrying the
// page's Origin header, which a page cannot forge) and the refresh token lives 24 hours.
import { BASE } from "../base.js";

const PENDING = "tessera.oidc.pending";
const LOGOUT = "tessera.oidc.logout";
const METADATA = "tessera.oidc.metadata";
const OIDC_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);
const DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access"];
const CLOCK_SKEW_S = 300;
const PENDING_MAX_AGE_MS = 15 * 60_000;

export class SignInError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "SignInError";
    this.code = code;
  }
}

function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

// RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))).
async function s256(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function decodeJwt(token) {
  const payload = String(token).split(".")[1] ?? "";
  const padded = payload
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(payload.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function scopes(config) {
  return config.scopes?.length ? config.scopes : DEFAULT_SCOPES;
}

// With a scope of tessera's own API configured, the API is called with the access token for
// it; without one, Entra's access token is for Microsoft Graph (which tessera must refuse), so
// the ID token (audience: this client) is sent instead, as OpenMetadata's UI does.
export function apiScopes(config) {
  return scopes(config).filter((scope) => !OIDC_SCOPES.has(scope));
}

export function redirectUri(config) {
  return config.callbackUrl || `${location.origin}${BASE}/callback`;
}

function requireSecureContext() {
  if (!window.isSecureContext || !crypto.subtle) {
    throw new SignInError(
      "Signing in with Microsoft needs a secure page (https, or http://localhost): browsers offer the SHA-256 that PKCE needs only there.",
    );
  }
}

// OpenID Connect Discovery 1.0 §4, at Entra's v2.0 path. Cached for the tab's life.
export async function discover(config) {
  const url = `${config.authority.replace(/\/+$/, "")}/v2.0/.well-known/openid-configuration`;
  const cached = JSON.parse(sessionStorage.getItem(METADATA) ?? "null");
  if (cached?.url === url) return cached.document;
  let response;
  try {
    response = await fetch(url, { credentials: "omit", cache: "no-store" });
  } catch (error) {
    const origin = new URL(url).origin;
    throw new SignInError(
      `The identity provider at ${origin} could not be reached (${error.message}). If its certificate is not one this browser trusts (tessera.entra's local CA), import the CA or open ${origin} once and accept the certificate.`,
    );
  }
  if (!response.ok) {
    throw new SignInError(`The identity provider's discovery document (${url}) answered ${response.status}.`);
  }
  const document = await response.json();
  for (const key of ["issuer", "authorization_endpoint", "token_endpoint"]) {
    if (typeof document[key] !== "string") {
      throw new SignInError(`The identity provider's discovery document has no ${key}.`);
    }
  }
  sessionStorage.setItem(METADATA, JSON.stringify({ url, document }));
  return document;
}

export async function startSignIn(config, { returnTo, prompt, loginHint, test = false } = {}) {
  requireSecureContext();
  const metadata = await discover(config);
  // RFC 7636 §4.1: a high-entropy verifier; 32 random bytes give 43 base64url characters.
  const verifier = randomString(32);
  const pending = {
    state: randomString(16),
    nonce: randomString(16),
    verifier,
    redirectUri: redirectUri(config),
    returnTo: returnTo ?? null,
    // A "Test sign-in": the tokens are explained, not kept as this tab's session.
    test,
    createdAt: Date.now(),
  };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(metadata.authorization_endpoint);
  const params = {
    client_id: config.clientId,
    response_type: "code",
    redirect_uri: pending.redirectUri,
    scope: scopes(config).join(" "),
    // In the fragment the code never reaches a server log or a Referer header.
    response_mode: "fragment",
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await s256(verifier),
    code_challenge_method: "S256",
    prompt,
    login_hint: loginHint,
  };
  for (const [key, value] of Object.entries(params)) {
    if (value) url.searchParams.set(key, value);
  }
  location.assign(url.toString());
}

export function hasAuthorizationResponse() {
  const params = new URLSearchParams(location.hash.slice(1));
  return params.has("code") || params.has("error");
}

export function isSignOutReturn() {
  const expected = sessionStorage.getItem(LOGOUT);
  if (expected === null) return false;
  sessionStorage.removeItem(LOGOUT);
  const state = new URLSearchParams(location.search).get("state");
  return state === null || state === expected;
}

function firstLine(text) {
  return String(text ?? "")
    .split(/\r?\n/)[0]
    .trim();
}

export async function finishSignIn(config) {
  const params = new URLSearchParams(location.hash.slice(1));
  // The code is single-use, but it has no business in the address bar or the history either.
  history.replaceState(null, "", location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null");
  sessionStorage.removeItem(PENDING);
  if (!pending || Date.now() - pending.createdAt > PENDING_MAX_AGE_MS) {
    throw new SignInError(
      "This sign-in response does not belong to a sign-in started in this tab (or it is too old). Sign in again.",
    );
  }
  // RFC 6749 §10.12: a response whose state is not ours was not requested by us.
  if (params.get("state") !== pending.state) {
    throw new SignInError(
      "The sign-in response's state does not match the request, so it was refused. Sign in again.",
    );
  }
  if (params.get("error")) {
    const description = firstLine(params.get("error_description"));
    throw new SignInError(
      `Sign-in failed: ${params.get("error")}${description ? `: ${description}` : ""}`,
      params.get("error"),
    );
  }
  const metadata = await discover(config);
  const tokens = await tokenRequest(metadata, {
    grant_type: "authorization_code",
    client_id: config.clientId,
    code: params.get("code"),
    redirect_uri: pending.redirectUri,
    code_verifier: pending.verifier,
    scope: scopes(config).join(" "),
  });
  const claims = validateIdToken(tokens.id_token, metadata, config, { nonce: pending.nonce });
  return { session: toSession(tokens, claims, config), returnTo: pending.returnTo, test: Boolean(pending.test) };
}

// RFC 6749 §6 with Entra's rotation: each refresh returns a new refresh token.
export async function renew(session, config) {
  if (!session.refreshToken)
    throw new SignInError("There is no refresh token (the offline_access scope is missing).");
  const metadata = await discover(config);
  const tokens = await tokenRequest(metadata, {
    grant_type: "refresh_token",
    client_id: config.clientId,
    refresh_token: session.refreshToken,
    scope: scopes(config).join(" "),
  });
  const claims = tokens.id_token
    ? validateIdToken(tokens.id_token, metadata, config, { previous: session.account })
    : decodeJwt(session.idToken);
  const next = toSession({ id_token: session.idToken, ...tokens }, claims, config);
  next.refreshToken = tokens.refresh_token ?? session.refreshToken;
  return next;
}

// A form-encoded POST without custom headers is a CORS "simple request": no preflight, and
// the browser adds the Origin header that Entra requires for a single-page app's code.
async function tokenRequest(metadata, form) {
  let response;
  try {
    response = await fetch(metadata.token_endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=utf-8" },
      body: new URLSearchParams(form),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new SignInError(`The identity provider's token endpoint could not be reached (${error.message}).`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || body.error) {
    const description = firstLine(body.error_description) || `the token endpoint answered ${response.status}`;
    throw new SignInError(`${body.error ?? "token_error"}: ${description}`, body.error);
  }
  return body;
}

// OpenID Connect Core 1.0 §3.1.3.7. The signature is not checked here: the token came straight
// from the token endpoint over TLS, which item 6 allows in its place (and tessera's server
// checks it on every call). Issuer, audience, expiry and nonce are checked.
export function validateIdToken(idToken, metadata, config, { nonce, previous } = {}) {
  if (!idToken)
    throw new SignInError("The identity provider returned no ID token (is the openid scope requested?).");
  let claims;
  try {
    claims = decodeJwt(idToken);
  } catch {
    throw new SignInError("The ID token is not a readable JWT.");
  }
  // Multi-tenant authorities publish the issuer with a literal {tenantid} placeholder.
  const issuer = metadata.issuer.replace("{tenantid}", claims.tid ?? "");
  if (claims.iss !== issuer) throw new SignInError(`The ID token's issuer ${claims.iss} is not ${issuer}.`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(config.clientId) || (audiences.length > 1 && claims.azp !== config.clientId)) {
    throw new SignInError("The ID token was not issued to this application (aud).");
  }
  if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now() - CLOCK_SKEW_S * 1000) {
    throw new SignInError("The ID token has expired; check this computer's clock.");
  }
  // §3.1.3.7 item 11: the nonce must be the one this tab sent (replay protection).
  if (nonce !== undefined && claims.nonce !== nonce) {
    throw new SignInError("The ID token's nonce does not match the sign-in request, so it was refused.");
  }
  // §12.2: a refreshed ID token must name the same issuer and subject.
  if (previous && (claims.iss !== previous.iss || claims.sub !== previous.sub)) {
    throw new SignInError("The renewed ID token names a different account.");
  }
  return claims;
}

function toSession(tokens, claims, config) {
  const useAccessToken = apiScopes(config).length > 0;
  if (useAccessToken && !tokens.access_token)
    throw new SignInError("The identity provider returned no access token.");
  return {
    provider: "azure",
    tokenKind: useAccessToken ? "access_token" : "id_token",
    token: useAccessToken ? tokens.access_token : tokens.id_token,
    idToken: tokens.id_token,
    refreshToken: tokens.refresh_token ?? null,
    // Access tokens are opaque to the client (their format belongs to the API), so their
    // lifetime is expires_in; an ID token's is its own exp.
    expiresAt: useAccessToken ? Date.now() + Number(tokens.expires_in ?? 0) * 1000 : claims.exp * 1000,
    account: {
      name: claims.name ?? null,
      username: claims.preferred_username ?? claims.email ?? null,
      iss: claims.iss,
      sub: claims.sub,
    },
  };
}

// RP-Initiated Logout 1.0 §2: the IdP ends its own session, then returns to a redirect URI
// registered for this client (the callback), with our state.
export async function signOutUrl(config) {
  const metadata = await discover(config);
  if (!metadata.end_session_endpoint) return null;
  const state = randomString(16);
  sessionStorage.setItem(LOGOUT, state);
  const url = new URL(metadata.end_session_endpoint);
  url.searchParams.set("post_logout_redirect_uri", redirectUri(config));
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("state", state);
  return url.toString();
}
