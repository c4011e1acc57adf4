// Where a signed-in session lives: sessionStorage only. It is per tab and ends with the tab,
// and unlike localStorage it is not shared with every other tab of the origin for ever.
// Nothing here is ever written to localStorage or to a cookie.

const SESSION = "tessera.session";
const NOTICE = "tessera.notice";

export function loadSession() {
  try {
    const value = JSON.parse(sessionStorage.getItem(SESSION) ?? "null");
    return value && typeof value.token === "string" ? value : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION);
}

// A message for the sign-in page (why the session ended), shown once.
export function setNotice(kind, text) {
  sessionStorage.setItem(NOTICE, JSON.stringify({ kind, text }));
}

export function takeNotice() {
  const raw = sessionStorage.getItem(NOTICE);
  sessionStorage.removeItem(NOTICE);
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}
