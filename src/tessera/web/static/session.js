// Where a signed-in session lives: sessionStorage only. It is per tab and ends with the tab,
// and unlike localStorage it is not shared with every other tab of the origin for ever.
// Nothing here is ever written to localStorage or to a cookie. (The confidential client's
// session is the server's HttpOnly cookie, out of this module's reach.)

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
    return raw ? JSON.parse(raw) : serverNotice();
  } catch {
    return null;
  }
}

// The server's own sign-in (the confidential client) leaves its message in a short-lived
// cookie: never in the address, where a link from anywhere could put words in its mouth.
const SERVER_NOTICE = "tessera_notice";

function serverNotice() {
  const found = document.cookie.split("; ").find((part) => part.startsWith(`${SERVER_NOTICE}=`));
  if (!found) return null;
  document.cookie = `${SERVER_NOTICE}=; Max-Age=0; Path=/; SameSite=Lax`;
  const encoded = found.slice(SERVER_NOTICE.length + 1).replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(encoded.padEnd(Math.ceil(encoded.length / 4) * 4, "=")), (c) =>
    c.charCodeAt(0),
  );
  const notice = JSON.parse(new TextDecoder().decode(bytes));
  return typeof notice?.text === "string" ? notice : null;
}
