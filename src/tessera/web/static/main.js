// Start-up: read how this server signs people in, then route every page.
import { currentPath } from "./base.js";
import { ApiError, api, request } from "./api.js";
import { completeRedirect, initAuth, isSignedIn, signOut } from "./auth.js";
import { h, message } from "./dom.js";
import { buildShell, errorView, markCurrent } from "./layout.js";
import { newBotPage, newUserPage } from "./pages/accounts_new.js";
import { auditPage } from "./pages/audit.js";
import { botPage, botsPage } from "./pages/bots.js";
import { databasePage, schemaPage, servicePage, servicesPage } from "./pages/browse.js";
import { signInCheckPage } from "./pages/doctor.js";
import { classificationPage, classificationsPage, tagPage } from "./pages/classifications.js";
import { explorePage } from "./pages/explore.js";
import { glossariesPage, glossaryPage } from "./pages/glossary.js";
import { termPage } from "./pages/glossary_term.js";
import { newPolicyPage, policiesPage, policyPage } from "./pages/policies.js";
import { profilePage } from "./pages/profile.js";
import { newRolePage, rolePage, rolesPage } from "./pages/roles.js";
import { signInPage } from "./pages/signin.js";
import { tablePage } from "./pages/table.js";
import { teamPage, teamsPage } from "./pages/teams.js";
import { userPage, usersPage } from "./pages/users.js";
import { addRoute, match, navigate, safeReturnPath, startRouter } from "./router.js";
import { setNotice } from "./session.js";

const root = document.getElementById("app");
const ctx = { config: null, me: null, shell: null };
let generation = 0;

function routes() {
  addRoute("/", () => navigate("/explore", { replace: true, initial: true }));
  addRoute("/signin", signInPage, { public: true });
  addRoute("/explore", explorePage);
  addRoute("/browse", servicesPage);
  addRoute("/services/:name", servicePage);
  addRoute("/databases/:fqn", databasePage);
  addRoute("/schemas/:fqn", schemaPage);
  addRoute("/tables/:fqn", tablePage);
  addRoute("/glossary", glossariesPage);
  addRoute("/glossary/term/:fqn", termPage);
  addRoute("/glossary/:name", glossaryPage);
  addRoute("/classifications", classificationsPage);
  addRoute("/classifications/tag/:fqn", tagPage);
  addRoute("/classifications/:name", classificationPage);
  addRoute("/settings", () => navigate("/settings/bots", { replace: true, initial: true }));
  addRoute("/settings/bots", botsPage);
  addRoute("/settings/bots/new", newBotPage);
  addRoute("/settings/bots/:name", botPage);
  addRoute("/settings/users", usersPage);
  addRoute("/settings/users/new", newUserPage);
  addRoute("/settings/users/:name", userPage);
  addRoute("/settings/teams", teamsPage);
  addRoute("/settings/teams/:name", teamPage);
  addRoute("/settings/roles", rolesPage);
  addRoute("/settings/roles/new", newRolePage);
  addRoute("/settings/roles/:name", rolePage);
  addRoute("/settings/policies", policiesPage);
  addRoute("/settings/policies/new", newPolicyPage);
  addRoute("/settings/policies/:name", policyPage);
  addRoute("/settings/sign-in", signInCheckPage);
  addRoute("/profile", profilePage);
  addRoute("/audit", auditPage);
}

async function whoAmI() {
  if (ctx.config.provider === "no-auth") {
    return { name: "anonymous", displayName: "Anonymous (no-auth)", isAdmin: true, anonymous: true };
  }
  return api.get("/api/v1/users/loggedInUser", { fields: "roles,teams" });
}

async function onCallback() {
  root.replaceChildren(h("main", { id: "main", class: "main narrow" }, message("info", "Signing you in…")));
  try {
    const { signedIn, returnTo } = await completeRedirect();
    // Nothing to complete (say, /callback reloaded) with a session still open: carry on.
    const fallback = isSignedIn() ? "/explore" : "/signin";
    navigate(signedIn ? (safeReturnPath(returnTo) ?? "/explore") : fallback, { replace: true });
  } catch (error) {
    setNotice("error", error.message);
    navigate("/signin", { replace: true });
  }
}

function focusAfterRender(main, initial) {
  const heading = main.querySelector("h1");
  if (heading) document.title = `${heading.textContent} · tessera`;
  if (initial) return;
  // After a navigation, screen readers and keyboard users start at the new page's heading
  // (or wherever the page asks, e.g. the search results).
  const target = main.querySelector("[data-autofocus]") ?? heading;
  if (target) {
    if (!target.hasAttribute("tabindex") && !target.matches("input, select, textarea, button, a[href]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }
}

function setState(state) {
  // "loading" until a page is on screen: lets tests and styles know when the page is settled.
  document.documentElement.dataset.state = state;
}

async function show({ initial }) {
  const mine = ++generation;
  setState("loading");
  if (currentPath() === "/callback") return onCallback();
  const found = match(currentPath());
  if (found?.options.public) {
    ctx.me = null;
    ctx.shell = null;
    const main = h("main", { id: "main", class: "main narrow", tabindex: "-1" });
    root.replaceChildren(main);
    main.replaceChildren(
      await found.page(ctx, { params: found.params, query: new URLSearchParams(location.search) }),
    );
    setState("ready");
    return focusAfterRender(main, initial);
  }
  if (!isSignedIn()) {
    const next = encodeURIComponent(currentPath() + location.search);
    return navigate(`/signin?next=${next}`, { replace: true, initial });
  }
  if (!ctx.me) {
    try {
      ctx.me = await whoAmI();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // back at sign-in, told why
      root.replaceChildren(h("main", { id: "main", class: "main" }, errorView(error)));
      setState("ready");
      return;
    }
    if (mine !== generation) return;
  }
  if (!ctx.shell) {
    ctx.shell = buildShell({ me: ctx.me, config: ctx.config, onSignOut: () => signOut() });
    root.replaceChildren(ctx.shell.root);
  }
  const { main } = ctx.shell;
  markCurrent(ctx.shell, currentPath());
  main.setAttribute("aria-busy", "true");
  main.replaceChildren(message("info", "Loading…"));
  let view;
  try {
    view = found
      ? await found.page(ctx, { params: found.params, query: new URLSearchParams(location.search) })
      : h(
          "section",
          { class: "page" },
          h("h1", {}, "Page not found"),
          h("p", {}, "There is no page at this address."),
        );
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    view = errorView(error);
  }
  if (mine !== generation || !view) return;
  main.removeAttribute("aria-busy");
  main.replaceChildren(view);
  setState("ready");
  focusAfterRender(main, initial);
}

async function main() {
  try {
    ctx.config = await request("GET", "/api/v1/system/config/auth", { auth: false });
  } catch (error) {
    root.replaceChildren(
      h(
        "main",
        { id: "main", class: "main narrow" },
        h("h1", {}, "tessera"),
        message("error", `The server's sign-in settings could not be read: ${error.message}`),
      ),
    );
    return;
  }
  await initAuth(ctx.config);
  routes();
  startRouter((event) => {
    show(event).catch((error) => {
      root.replaceChildren(h("main", { id: "main", class: "main" }, errorView(error)));
      setState("ready");
    });
  });
}

main();
