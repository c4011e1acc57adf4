// Client-side routing with the History API: the server answers every page path with the same
// index.html, and this module maps the path to a page.

import { appPath, url } from "./base.js";

const routes = [];
let listener = () => {};

export function addRoute(pattern, page, options = {}) {
  const keys = [];
  const source = pattern.replace(/\/:(\w+)/g, (_, key) => {
    keys.push(key);
    return "/([^/]+)";
  });
  routes.push({ regex: new RegExp(`^${source}/?$`), keys, page, options });
}

function decode(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function match(pathname) {
  for (const route of routes) {
    const found = route.regex.exec(pathname);
    if (found) {
      const params = Object.fromEntries(route.keys.map((key, i) => [key, decode(found[i + 1])]));
      return { ...route, params };
    }
  }
  return null;
}

// `initial` passes on that this is still the page load (a redirect), where focus stays put.
export function navigate(to, { replace = false, initial = false } = {}) {
  if (replace) history.replaceState(null, "", url(to));
  else history.pushState(null, "", url(to));
  listener({ initial });
}

// Only a same-origin, local path may be a place to return to after sign-in (never an open
// redirect to another site, never the sign-in or callback pages themselves).
export function safeReturnPath(value) {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//")) return null;
  if (value.startsWith("/signin") || value.startsWith("/callback") || value.startsWith("/api/")) return null;
  return value;
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
  const target = new URL(anchor.href, location.href);
  if (target.origin !== location.origin) return;
  const path = appPath(target.pathname);
  if (path === null || path.startsWith("/api/") || path.startsWith("/docs")) return;
  event.preventDefault();
  if (target.pathname + target.search !== location.pathname + location.search) {
    navigate(path + target.search + target.hash);
  }
}

export function startRouter(onChange) {
  listener = onChange;
  document.addEventListener("click", onClick);
  addEventListener("popstate", () => listener({ initial: false }));
  listener({ initial: true });
}
