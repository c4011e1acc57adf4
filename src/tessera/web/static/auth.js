// The session, whatever the provider: sign-in, the Bearer token for each API call, renewal
// before expiry, and the end of a session (sign-out, or a 401 from the server). With the
// confidential client the server holds the session: no token here, no renewal.
import { currentPath } from "./base.js";
import { ApiError, configureApi, request } from "./api.js";
import * as azure from "./auth/azure.js";
import * as basic from "./auth/basic.js";
import * as server from "./auth/server.js";
import { navigate } from "./router.js";
import { clearSession, loadSession, saveSession, setNotice } from "./session.js";

// Renew this long before expiry, or at two thirds of a shorter lifetime.
const RENEW_MARGIN_MS = 5 * 60_000;
// No call goes out with a token that has less than this left: renew first.
const MIN_LEFT_MS = 30_000;

let config = null;
let timer = null;
let renewing = null;

const DIAGNOSIS = "tessera.diagnosis";

function confidential() {
  return config.provider === "azure" && config.clientType === "confidential";
}

export async function initAuth(authConfig) {
  config = authConfig;
  configureApi({ token: bearer, unauthorized: sessionEnded, csrf: server.csrf });
  if (confidential()) {
    await server.loadSession();
    return;
  }
  const session = loadSession();
  if (session) schedule(session);
}

export function authConfig() {
  return config;
}

export function isSignedIn() {
  if (confidential()) return server.session() !== null;
  return config.provider === "no-auth" || loadSession() !== null;
}

async function bearer() {
  if (config.provider === "no-auth") return null;
  if (confidential()) {
    if (server.session()) return null; // the cookie goes with the request
    if (currentPath() !== "/signin") sessionEnded("Please sign in.");
    throw new ApiError(401, "Not signed in");
  }
  let session = loadSession();
  if (session && session.expiresAt - Date.now() < MIN_LEFT_MS) session = await renewNow();
  if (!session) {
    // After a failed renewal the person is already on the sign-in page, told why.
    if (currentPath() !== "/signin") sessionEnded("Please sign in.");
    throw new ApiError(401, "Not signed in");
  }
  return session.token;
}

function schedule(session) {
  clearTimeout(timer);
  const lifetime = session.expiresAt - (session.issuedAt ?? Date.now());
  const margin = Math.min(RENEW_MARGIN_MS, Math.max(lifetime / 3, 5_000));
  const wait = Math.max(session.expiresAt - margin - Date.now(), 0);
  // setTimeout's delay is a signed 32-bit number of milliseconds.
  timer = setTimeout(() => renewNow(), Math.min(wait, 2 ** 31 - 1));
}

function start(session) {
  const started = { ...session, issuedAt: Date.now() };
  saveSession(started);
  schedule(started);
  return started;
}

async function renewOnce() {
  const session = loadSession();
  if (!session) return null;
  try {
    const next =
      session.provider === "azure" ? await azure.renew(session, config) : await basic.renew(session);
    return start(next);
  } catch (error) {
    sessionEnded(`Your session could not be renewed: ${error.message}`);
    return null;
  }
}

// One renewal at a time, however many calls are waiting for it.
export function renewNow() {
  if (!renewing) renewing = renewOnce().finally(() => (renewing = null));
  return renewing;
}

export function sessionEnded(reason, kind = "error") {
  clearTimeout(timer);
  const hadSession = loadSession() !== null || server.session() !== null;
  clearSession();
  server.forget();
  // When a session ends, the page's calls in flight fail together. The first says why; the
  // others must not re-render the sign-in page while the person is typing into it.
  if (!hadSession && currentPath() === "/signin") return;
  setNotice(kind, reason);
  if (currentPath() === "/signin") {
    navigate(currentPath() + location.search, { replace: true });
  } else if (kind !== "error") {
    navigate("/signin", { replace: true });
  } else {
    const here = encodeURIComponent(currentPath() + location.search);
    navigate(`/signin?next=${here}`, { replace: true });
  }
}

export async function signInBasic(login, password) {
  start(await basic.signIn(login, password));
}

export function signInAzure(returnTo) {
  if (confidential()) return server.startSignIn({ returnTo });
  return azure.startSignIn(config, { returnTo });
}

// "Test sign-in" (administrators): someone signs in, and instead of a session the diagnosis of
// their sign-in comes back to Settings » Sign-in, the administrator's own session untouched.
export function testSignIn() {
  if (confidential()) return server.startSignIn({ test: true });
  return azure.startSignIn(config, { returnTo: "/settings/sign-in", prompt: "login", test: true });
}

export function takeDiagnosis() {
  const fromServer = new URLSearchParams(location.hash.slice(1)).get("diagnosis");
  if (fromServer) {
    history.replaceState(null, "", location.pathname);
    const padded = fromServer.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(padded.padEnd(Math.ceil(padded.length / 4) * 4, "=")), (c) =>
      c.charCodeAt(0),
    );
    return JSON.parse(new TextDecoder().decode(bytes));
  }
  const stored = sessionStorage.getItem(DIAGNOSIS);
  sessionStorage.removeItem(DIAGNOSIS);
  return stored ? JSON.parse(stored) : null;
}

// On /callback: either the authorization response or the return from the IdP's sign-out.
export async function completeRedirect() {
  if (azure.isSignOutReturn()) {
    setNotice("info", "You are signed out of tessera and of Microsoft Entra ID.");
    return { signedIn: false };
  }
  if (!azure.hasAuthorizationResponse()) return { signedIn: false };
  const { session, returnTo, test } = await azure.finishSignIn(config);
  if (test) {
    // Explained with the administrator's own session, which stays as it was.
    const diagnosis = await request("POST", "/api/v1/system/auth/explain", { body: { token: session.token } });
    sessionStorage.setItem(DIAGNOSIS, JSON.stringify(diagnosis));
    return { signedIn: true, returnTo };
  }
  start(session);
  return { signedIn: true, returnTo };
}

export async function signOut() {
  clearTimeout(timer);
  const session = loadSession();
  if (confidential()) {
    const url = await server.signOut();
    if (url) {
      location.assign(url);
      return;
    }
    setNotice("info", "You are signed out of tessera.");
  } else if (config.provider === "azure") {
    let url = null;
    try {
      url = await azure.signOutUrl(config);
    } catch {
      url = null;
    }
    clearSession();
    if (url) {
      location.assign(url);
      return;
    }
    setNotice(
      "info",
      "You are signed out of tessera. The identity provider has no sign-out endpoint, so you may still be signed in there.",
    );
  } else {
    if (session) await basic.signOut(session);
    clearSession();
    setNotice("info", "You are signed out.");
  }
  navigate("/signin", { replace: true });
}
