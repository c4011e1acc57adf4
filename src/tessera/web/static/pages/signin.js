// Sign-in: the provider the server is configured with (GET /api/v1/system/config/auth).
import { signInAzure, signInBasic } from "../auth.js";
import { field, h, link, message } from "../dom.js";
import { navigate, safeReturnPath } from "../router.js";
import { takeNotice } from "../session.js";

function basicForm(next) {
  const login = h("input", {
    id: "email",
    name: "email",
    type: "text",
    autocomplete: "username",
    required: true,
    autocapitalize: "none",
    spellcheck: "false",
  });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary", id: "sign-in" }, "Sign in");
  const errors = h("div", { id: "sign-in-error" });
  const form = h(
    "form",
    { class: "stack", "aria-describedby": "sign-in-error", novalidate: true },
    errors,
    field("Email or user name", login),
    field("Password", password),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!login.value.trim() || !password.value) {
      errors.replaceChildren(message("error", "Enter your email (or user name) and your password."));
      (login.value.trim() ? password : login).focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await signInBasic(login.value.trim(), password.value);
      navigate(next ?? "/explore", { replace: true });
    } catch (error) {
      // The server's own words: a wrong password and a lockout read differently, on purpose.
      errors.replaceChildren(message("error", error.message));
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
  return form;
}

function azureButton(config, next) {
  const errors = h("div", { id: "sign-in-error" });
  // The confidential client's callback is the server's own, wherever the browser came from.
  const callback =
    config.clientType !== "confidential" && config.callbackUrl ? new URL(config.callbackUrl, location.href) : null;
  if (callback && callback.origin !== location.origin) {
    // Entra returns to the registered redirect URI only; this tab's sign-in state would not
    // be there.
    return h(
      "div",
      { class: "stack" },
      message(
        "warning",
        `Sign-in returns to ${callback.href}, the redirect URI registered in Entra ID, which is not this address. `,
        "Open tessera at ",
        h("a", { href: callback.origin }, callback.origin),
        " to sign in.",
      ),
    );
  }
  const button = h(
    "button",
    { type: "button", class: "primary", id: "sign-in-microsoft" },
    "Sign in with Microsoft",
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await signInAzure(next);
    } catch (error) {
      errors.replaceChildren(message("error", error.message));
      button.disabled = false;
    }
  });
  return h(
    "div",
    { class: "stack" },
    errors,
    button,
    h("p", { class: "hint" }, "You will sign in on Microsoft Entra ID's page and come back here."),
  );
}

export function signInPage(ctx, { query }) {
  const { config } = ctx;
  const notice = takeNotice();
  const next = safeReturnPath(query.get("next"));
  let body;
  if (config.provider === "basic") body = basicForm(next);
  else if (config.provider === "azure") body = azureButton(config, next);
  else
    body = h("p", {}, "Authentication is off on this server. ", link("/explore", "Go to the catalog"), ".");
  return h(
    "section",
    { class: "card signin" },
    h(
      "p",
      { class: "brand brand-large" },
      h("span", { class: "brand-mark", "aria-hidden": "true" }),
      "tessera",
    ),
    h("h1", {}, "Sign in"),
    notice ? h("div", { id: "notice" }, message(notice.kind, notice.text)) : null,
    body,
  );
}
