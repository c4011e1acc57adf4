// Settings » Bots: the list, and a bot's authentication mechanism (OpenMetadata JWT or Azure
// SSO), saved with the same calls as OpenMetadata's UI: PUT /api/v1/users, then PUT /api/v1/bots.
import { api, segment } from "../api.js";
import { confirmDialog, field, formatTime, h, link, message, select } from "../dom.js";
import { breadcrumbs, description, pageHeader } from "./common.js";
import { tokenReveal } from "./tokens.js";

const EXPIRY = [
  ["OneHour", "1 hour"],
  ["1", "1 day"],
  ["7", "7 days"],
  ["30", "30 days"],
  ["60", "60 days"],
  ["90", "90 days"],
];

function mechanismLabel(mechanism) {
  if (mechanism?.authType === "SSO") return `Azure SSO (${mechanism.config?.authConfig?.clientId ?? "?"})`;
  if (mechanism?.authType === "JWT")
    return mechanism.config?.JWTToken ? "JWT token" : "JWT (no active token)";
  return "Not configured";
}

export async function botsPage() {
  const bots = await api.get("/api/v1/bots", { limit: 100 });
  // A bot's authentication mechanism is for administrators: anyone else gets the server's 403
  // here, shown in place of the list.
  const mechanisms = await Promise.all(
    (bots.data ?? []).map((bot) => api.get(`/api/v1/users/auth-mechanism/${segment(bot.botUser.id)}`)),
  );
  const rows = (bots.data ?? []).map((bot, i) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, link(`/settings/bots/${segment(bot.name)}`, bot.displayName || bot.name)),
      h("td", {}, bot.name),
      h("td", {}, mechanismLabel(mechanisms[i])),
      h("td", {}, bot.description ?? ""),
    ),
  );
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Bots", ""],
    ]),
    pageHeader("Bots"),
    h(
      "p",
      {},
      "Bots are the accounts ingestion and other automation use. Choose one to change how it authenticates, or ",
      link("/settings/bots/new", "add a bot"),
      ".",
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "bots" },
        h("caption", { class: "visually-hidden" }, "Bots"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Bot", "Name", "Authentication", "Description"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h("tbody", {}, rows),
      ),
    ),
  );
}

function ssoFields(user, mechanism, config) {
  const auth = mechanism?.authType === "SSO" ? (mechanism.config?.authConfig ?? {}) : {};
  const defaultAuthority = config.provider === "azure" ? config.authority : "";
  const inputs = {
    email: h("input", {
      id: "bot-email",
      type: "email",
      value: user.email ?? "",
      autocomplete: "off",
      required: true,
    }),
    clientSecret: h("input", {
      id: "client-secret",
      type: "password",
      value: auth.clientSecret ?? "",
      autocomplete: "off",
      required: true,
    }),
    clientId: h("input", {
      id: "client-id",
      type: "text",
      value: auth.clientId ?? "",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
    }),
    authority: h("input", {
      id: "authority",
      type: "url",
      value: auth.authority ?? defaultAuthority,
      autocomplete: "off",
      required: true,
    }),
    scopes: h("input", {
      id: "scopes",
      type: "text",
      value: (auth.scopes ?? []).join(", "),
      autocomplete: "off",
      spellcheck: "false",
      required: true,
    }),
  };
  const reveal = h(
    "button",
    { type: "button", class: "secondary small", "aria-pressed": "false", "aria-controls": "client-secret" },
    "Show",
  );
  reveal.addEventListener("click", () => {
    const shown = inputs.clientSecret.type === "text";
    inputs.clientSecret.type = shown ? "password" : "text";
    reveal.setAttribute("aria-pressed", String(!shown));
    reveal.textContent = shown ? "Show" : "Hide";
  });
  const secretField = field(
    "ClientSecret",
    inputs.clientSecret,
    "Stored sealed and shown masked (*********) once saved; leave the mask to keep the saved secret.",
  );
  // The input and its Show button side by side, the hint below both.
  const secretRow = h("div", { class: "token-row" });
  inputs.clientSecret.replaceWith(secretRow);
  secretRow.append(inputs.clientSecret, reveal);
  const section = h(
    "fieldset",
    { id: "sso-section", class: "stack" },
    h("legend", {}, "Azure SSO (the ingestion application of the Azure SSO guide, step 9)"),
    field(
      "Email",
      inputs.email,
      "<object id of the ingestion app's enterprise application>@<your domain>: the bot's identity in tessera.",
    ),
    secretField,
    field("ClientId", inputs.clientId, "The ingestion application's Application (client) ID."),
    field("Authority", inputs.authority, "https://login.microsoftonline.com/<tenant id>"),
    field("Scopes", inputs.scopes, "Comma-separated, e.g. api://<ingestion app id>/.default"),
  );
  return { section, inputs };
}

function jwtFields(user, mechanism, show) {
  const config = mechanism?.authType === "JWT" ? (mechanism.config ?? {}) : {};
  // Whether the bot has a live token right now, as this page last saw it.
  const state = { hasToken: Boolean(config.JWTToken) };
  const expiry = select("token-expiry", EXPIRY, config.JWTTokenExpiry ?? "30");
  const status = h(
    "p",
    { id: "token-status" },
    config.JWTToken
      ? `An active token expires ${formatTime(config.JWTTokenExpiresAt)}.`
      : mechanism?.authType === "SSO"
        ? "The bot uses Azure SSO; saving with OpenMetadata JWT (or generating a token) switches it to a tessera token."
        : "This bot has no active token.",
  );
  const output = h("div", { id: "token-output" });
  const generate = h(
    "button",
    { type: "button", class: "secondary", id: "generate-token" },
    "Generate new token",
  );
  const revoke = h(
    "button",
    { type: "button", class: "danger", id: "revoke-token", disabled: !config.JWTToken },
    "Revoke token",
  );
  generate.addEventListener("click", async () => {
    generate.disabled = true;
    try {
      const issued = await api.put(`/api/v1/users/generateToken/${segment(user.id)}`, {
        JWTTokenExpiry: expiry.value,
      });
      status.textContent = `A new token was issued; it expires ${formatTime(issued.JWTTokenExpiresAt)}. The previous one no longer works.`;
      output.replaceChildren(tokenReveal(issued.JWTToken, "bot-token"));
      revoke.disabled = false;
      state.hasToken = true;
    } catch (error) {
      show(message("error", error.message));
    } finally {
      generate.disabled = false;
    }
  });
  revoke.addEventListener("click", async () => {
    const sure = await confirmDialog({
      title: "Revoke the bot's token?",
      body: h("p", {}, `Anything using ${user.name}'s token stops working at once.`),
      confirmLabel: "Revoke token",
    });
    if (!sure) return;
    try {
      await api.put("/api/v1/users/revokeToken", { id: user.id });
      status.textContent = "The token was revoked. This bot has no active token.";
      output.replaceChildren();
      revoke.disabled = true;
      state.hasToken = false;
      const done = message("success", "Token revoked.");
      show(done);
      // The Revoke button is now disabled, which would drop keyboard focus: put it on the outcome.
      done.setAttribute("tabindex", "-1");
      done.focus();
    } catch (error) {
      show(message("error", error.message));
    }
  });
  const section = h(
    "fieldset",
    { id: "jwt-section", class: "stack" },
    h("legend", {}, "OpenMetadata JWT"),
    status,
    field("Token expiration", expiry),
    h("div", { class: "actions" }, generate, revoke),
    output,
  );
  return { section, expiry, output, status, revoke, state };
}

function scopesOf(text) {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function botPage(ctx, { params }) {
  const bot = await api.get(`/api/v1/bots/name/${segment(params.name)}`);
  const mechanism = await api.get(`/api/v1/users/auth-mechanism/${segment(bot.botUser.id)}`);
  const user = await api.get(`/api/v1/users/${segment(bot.botUser.id)}`);
  const status = h("div", { id: "form-status" });
  const show = (node) => status.replaceChildren(node);
  const kind = select(
    "auth-type",
    [
      ["JWT", "OpenMetadata JWT"],
      ["SSO", "Azure SSO"],
    ],
    mechanism?.authType === "SSO" ? "SSO" : "JWT",
  );
  const sso = ssoFields(user, mechanism, ctx.config);
  const jwt = jwtFields(user, mechanism, show);
  const sync = () => {
    sso.section.hidden = kind.value !== "SSO";
    jwt.section.hidden = kind.value !== "JWT";
  };
  kind.addEventListener("change", sync);
  sync();
  const save = h("button", { type: "submit", class: "primary", id: "save-bot" }, "Save");
  const form = h(
    "form",
    { id: "bot-form", class: "stack form-page", novalidate: true },
    field("Auth Mechanism", kind),
    jwt.section,
    sso.section,
    status,
    h("div", { class: "actions" }, save),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let authenticationMechanism;
    let email = user.email;
    if (kind.value === "SSO") {
      const values = Object.fromEntries(
        Object.entries(sso.inputs).map(([key, input]) => [key, input.value.trim()]),
      );
      const missing = Object.entries(values).filter(([, value]) => !value);
      if (missing.length) {
        show(message("error", `Fill in ${missing.map(([key]) => key).join(", ")}.`));
        sso.inputs[missing[0][0]].focus();
        return;
      }
      email = values.email;
      authenticationMechanism = {
        authType: "SSO",
        config: {
          ssoServiceType: "azure",
          authConfig: {
            clientId: values.clientId,
            clientSecret: values.clientSecret,
            authority: values.authority,
            scopes: scopesOf(values.scopes),
          },
        },
      };
    } else {
      authenticationMechanism = { authType: "JWT", config: { JWTTokenExpiry: jwt.expiry.value } };
    }
    save.disabled = true;
    try {
      const saved = await api.put("/api/v1/users", {
        name: user.name,
        email,
        displayName: user.displayName ?? bot.displayName,
        description: user.description ?? bot.description,
        isAdmin: false,
        isBot: true,
        botName: bot.name,
        authenticationMechanism,
      });
      user.email = saved.email;
      await api.put("/api/v1/bots", {
        name: bot.name,
        displayName: bot.displayName,
        description: bot.description,
        botUser: saved.name,
        provider: bot.provider,
      });
      const now = await api.get(`/api/v1/users/auth-mechanism/${segment(user.id)}`);
      if (now.authType === "SSO") {
        sso.inputs.clientSecret.value = now.config?.authConfig?.clientSecret ?? "";
        // Switching to Azure SSO revoked the bot's tessera token.
        jwt.state.hasToken = false;
        jwt.revoke.disabled = true;
        jwt.output.replaceChildren();
        jwt.status.textContent =
          "The bot uses Azure SSO; saving with OpenMetadata JWT (or generating a token) switches it to a tessera token.";
        show(
          message(
            "success",
            "Saved: the bot authenticates with Azure SSO. The client secret is stored sealed and shown masked.",
          ),
        );
      } else {
        show(message("success", "Saved: the bot authenticates with a tessera JWT."));
        // The server issues a token only when the bot had none; that one is shown, once.
        if (now.config?.JWTToken && !jwt.state.hasToken) {
          jwt.output.replaceChildren(tokenReveal(now.config.JWTToken, "bot-token"));
          jwt.status.textContent = `A new token was issued; it expires ${formatTime(now.config.JWTTokenExpiresAt)}.`;
          jwt.revoke.disabled = false;
        }
        jwt.state.hasToken = Boolean(now.config?.JWTToken);
      }
    } catch (error) {
      show(message("error", error.message));
    } finally {
      save.disabled = false;
    }
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Bots", "/settings/bots"],
      [bot.name, ""],
    ]),
    pageHeader(
      bot.displayName || bot.name,
      h("p", { class: "muted" }, `Bot user ${user.name} · ${user.email}`),
    ),
    description(bot.description),
    form,
  );
}
