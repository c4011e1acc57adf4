// The sub-path the server is served under behind a reverse proxy (server.rootPath, such as
// /catalog; empty at the root). The server renders it into the page; every URL of the server's
// own (API calls, sign-in, links, history entries) starts with it, while the pages themselves
// reason about paths below it.

export const BASE = document.querySelector('meta[name="tessera-base"]')?.content ?? "";

// An absolute path of the app ("/explore", "/api/v1/...") as the URL to use in the browser.
export function url(path) {
  return path.startsWith("/") && !path.startsWith("//") ? `${BASE}${path}` : path;
}

// A browser path as the app's own path, or null when it is outside the app.
export function appPath(pathname) {
  if (!BASE) return pathname;
  if (pathname === BASE) return "/";
  return pathname.startsWith(`${BASE}/`) ? pathname.slice(BASE.length) : null;
}

// Where the browser is, as the app's path ("/explore").
export function currentPath() {
  return appPath(location.pathname) ?? location.pathname;
}
