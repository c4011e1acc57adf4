// Signing in with the confidential client (clientType: confidential): the server runs the
// authorization code flow with Entra ID and keeps Entra's tokens; the browser holds an HttpOnly
// session cookie that no script can read. This tab only knows whether it is signed in, and the
// CSRF token every change must carry (GET /auth/session, a same-origin read no other site can
// make).
import { url } from "../base.js";

let current = null;

export async function loadSession() {
  let response;
  try {
    response = await fetch(url("/auth/session"), { credentials: "same-origin", cache: "no-store" });
  } catch {
    current = null;
    return null;
  }
  const body = response.ok ? await response.json() : null;
  current = body?.signedIn ? body : null;
  return current;
}

export function session() {
  return current;
}

export function forget() {
  current = null;
}

export function csrf() {
  return current ? { header: current.csrfHeader, token: current.csrfToken } : null;
}

// A full-page navigation: the server answers with a redirect to Entra ID.
export function startSignIn({ returnTo, test = false } = {}) {
  const query = new URLSearchParams();
  if (returnTo) query.set("next", returnTo);
  if (test) query.set("test", "1");
  location.assign(url(`/auth/login${query.size ? `?${query}` : ""}`));
}

// Ends the session on the server; the answer names Entra's sign-out URL (or null).
export async function signOut() {
  const headers = { Accept: "application/json" };
  if (current) headers[current.csrfHeader] = current.csrfToken;
  current = null;
  try {
    const response = await fetch(url("/auth/logout"), {
      method: "POST",
      headers,
      credentials: "same-origin",
      cache: "no-store",
    });
    return response.ok ? (await response.json()).logoutUrl : null;
  } catch {
    return null;
  }
}
