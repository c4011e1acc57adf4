// Small DOM helpers. Everything that comes from the server is inserted as text, never parsed
// as HTML (the page's Trusted Types policy would refuse innerHTML anyway).
import { url } from "./base.js";

const PROPERTIES = new Set(["value", "checked", "disabled", "indeterminate"]);

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// A link inside the app; the router intercepts clicks on same-origin links.
export function link(path, ...children) {
  return h("a", { href: url(path) }, ...children);
}

export function formatTime(ms) {
  if (!ms) return "";
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

export function select(id, options, value) {
  return h(
    "select",
    { id, name: id },
    options.map(([optionValue, text]) =>
      h("option", { value: optionValue, selected: optionValue === value }, text),
    ),
  );
}

// A status line for screen readers and sighted users alike: polite for progress, assertive
// (role=alert) for failures.
export function message(kind, ...children) {
  const role = kind === "error" ? "alert" : "status";
  return h("div", { class: `message message-${kind}`, role }, ...children);
}

export function table(caption, headers, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      caption ? h("caption", {}, caption) : null,
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          headers.map((text) => h("th", { scope: "col" }, text)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((cells) =>
          h(
            "tr",
            {},
            cells.map((cell) => h("td", {}, cell)),
          ),
        ),
      ),
    ),
  );
}

// A modal confirmation built on <dialog>: focus moves into it, Escape cancels, and focus
// returns to whatever opened it. Resolves true when confirmed.
export function confirmDialog({ title, body, confirmLabel, danger = true, typeToConfirm }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const typed = typeToConfirm
      ? h("input", { id: "confirm-typed", type: "text", autocomplete: "off", spellcheck: "false" })
      : null;
    const confirm = h(
      "button",
      { type: "submit", value: "confirm", class: danger ? "danger" : "primary", disabled: !!typeToConfirm },
      confirmLabel,
    );
    if (typed) {
      typed.addEventListener("input", () => {
        confirm.disabled = typed.value !== typeToConfirm;
      });
    }
    const cancel = h("button", { type: "submit", value: "cancel", class: "secondary" }, "Cancel");
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "dialog-title" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "dialog-title" }, title),
        body,
        typed ? field(`Type ${typeToConfirm} to confirm`, typed) : null,
        h("div", { class: "actions" }, cancel, confirm),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener instanceof HTMLElement) opener.focus();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    (typed ?? cancel).focus();
  });
}

// Copies text; where the browser refuses (no permission, no secure context) the text is
// selected so that Ctrl+C works, and the caller says so.
export async function copyText(text, fallbackInput) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    fallbackInput?.focus();
    fallbackInput?.select();
    return false;
  }
}
