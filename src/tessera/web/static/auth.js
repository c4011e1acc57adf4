// The session, whatever the provider: sign-in, the Bearer token for each API call, renewal
// before expiry, and the end of a session (sign-out, or a 401 from the server).
import { ApiError, configureApi } from "./api.js";
import * as azure from "./auth/azure.js";
import * as basic from "./auth/basic.js";
import { navigate } from "./router.js";
import { clearSession, loadSession, saveSession, setNotice } from "./session.js";

// Renew this long before expiry, or at two thirds of a shorter lifetime.
const RENEW_MARGIN_MS = 5 * 60_000;
// No call goes out with a token that has less than this left: renew first.
const MIN_LEFT_MS = 30_000;

let config = null;
let timer = null;
let renewing = null;

export function initAuth(authConfig) {
  config = authConfig;
  configureApi({ token: bearer, unauthorized: sessionEnded });
  const session = loadSession();
  if (session) schedule(session);
}

export function authConfig() {
  return config;
}

export function isSignedIn() {
  return config.provider === "no-auth" || loadSession() !== null;
}

async function bearer() {
  if (config.provider === "no-auth") return null;
  let session = loadSession();
  if (session && session.expiresAt - Date.now() < MIN_LEFT_MS) session = await renewNow();
  if (!session) {
    // After a failed renewal the person is already on the sign-in page, told why.
    if (location.pathname !== "/signin") sessionEnded("Please sign in.");
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
  const hadSession = loadSession() !== null;
  clearSession();
  // When a session ends, the page's calls in flight fail together. The first says why; the
  // others must not re-render the sign-in page while the person is typing into it.
  if (!hadSession && location.pathname === "/signin") return;
  setNotice(kind, reason);
  if (location.pathname === "/signin") {
    navigate(location.pathname + location.search, { replace: true });
  } else if (kind !== "error") {
    navigate("/signin", { replace: true });
  } else {
    const here = encodeURIComponent(location.pathname + location.search);
    navigate(`/signin?next=${here}`, { replace: true });
  }
}

export async function signInBasic(login, password) {
  start(await basic.signIn(login, password));
}

export function signInAzure(returnTo) {
  return azure.startSignIn(config, { returnTo });
}

// On /callback: either the authorization response or the return from the IdP's sign-out.
export async function completeRedirect() {
  if (azure.isSignOutReturn()) {
    setNotice("info", "You are signed out of tessera and of Microsoft Entra ID.");
    return { signedIn: false };
  }
  if (!azure.hasAuthorizationResponse()) return { signedIn: false };
  const { session, returnTo } = await azure.finishSignIn(config);
  start(session);
  return { signedIn: true, returnTo };
}

export async function signOut() {
  clearTimeout(timer);
  const session = loadSession();
  if (config.provider === "azure") {
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
