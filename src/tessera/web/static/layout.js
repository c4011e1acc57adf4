// The frame around every signed-in page: a header with the main navigation, and <main>.
import { url } from "./base.js";
import { h, message } from "./dom.js";

function navLink(path, text) {
  return h("li", {}, h("a", { href: url(path), "data-nav": path }, text));
}

export function buildShell({ me, config, onSignOut }) {
  const admin = Boolean(me?.isAdmin);
  const nav = h(
    "nav",
    { id: "nav", class: "nav", "aria-label": "Main" },
    h(
      "ul",
      { class: "nav-list" },
      navLink("/explore", "Explore"),
      navLink("/browse", "Browse"),
      navLink("/glossary", "Glossary"),
      navLink("/classifications", "Tags"),
      admin
        ? h(
            "li",
            { class: "nav-group" },
            h("span", { class: "nav-group-label", id: "nav-settings" }, "Settings"),
            h(
              "ul",
              { "aria-labelledby": "nav-settings" },
              navLink("/settings/bots", "Bots"),
              navLink("/settings/users", "Users"),
              navLink("/settings/teams", "Teams"),
              navLink("/settings/roles", "Roles"),
              navLink("/settings/policies", "Policies"),
              config.provider === "azure" ? navLink("/settings/sign-in", "Sign-in") : null,
            ),
          )
        : null,
      // Everyone may read the organization's teams, roles and policies (as their policies allow).
      admin ? null : navLink("/settings/teams", "Teams"),
      admin ? null : navLink("/settings/roles", "Roles"),
      admin ? null : navLink("/settings/policies", "Policies"),
      admin ? navLink("/audit", "Audit log") : null,
    ),
    h(
      "ul",
      { class: "nav-list nav-account" },
      navLink("/profile", me?.displayName || me?.name || "Profile"),
      config.provider === "no-auth"
        ? null
        : h(
            "li",
            {},
            h(
              "button",
              { type: "button", id: "sign-out", class: "link-button", onclick: onSignOut },
              "Sign out",
            ),
          ),
    ),
  );
  const toggle = h(
    "button",
    { type: "button", class: "nav-toggle", "aria-controls": "nav", "aria-expanded": "false" },
    "Menu",
  );
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  });
  const header = h(
    "header",
    { class: "topbar" },
    h(
      "a",
      { href: url("/explore"), class: "brand" },
      h("span", { class: "brand-mark", "aria-hidden": "true" }),
      "tessera",
    ),
    toggle,
    nav,
  );
  const banner =
    config.provider === "no-auth"
      ? message(
          "warning",
          "Authentication is off (provider no-auth): anyone who can reach this server can read and change everything.",
        )
      : null;
  banner?.classList.add("banner");
  const main = h("main", { id: "main", class: "main", tabindex: "-1" });
  return { root: h("div", { class: "shell" }, header, banner, main), main, nav, toggle };
}

export function markCurrent(shell, pathname) {
  for (const anchor of shell.nav.querySelectorAll("a[data-nav]")) {
    const path = anchor.dataset.nav;
    const current = pathname === path || pathname.startsWith(`${path}/`);
    if (current) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
  shell.nav.classList.remove("open");
  shell.toggle.setAttribute("aria-expanded", "false");
}

// A failed page load, shown where the page would have been: a 403 says who was refused what,
// in the server's words.
export function errorView(error) {
  if (error?.status === 403) {
    // The server's message says what would be needed (a permission, or being an administrator)
    // and who was refused.
    return h(
      "section",
      { class: "page" },
      h("h1", {}, "Not allowed"),
      message("error", h("strong", {}, "403 Forbidden. "), error.message),
      h("p", {}, "If you need this page, ask an administrator for it. ", h("a", { href: url("/explore") }, "Back to Explore")),
    );
  }
  if (error?.status === 404) {
    return h("section", { class: "page" }, h("h1", {}, "Not found"), message("error", error.message));
  }
  return h(
    "section",
    { class: "page" },
    h("h1", {}, "Something went wrong"),
    message("error", error?.message ?? String(error)),
  );
}
