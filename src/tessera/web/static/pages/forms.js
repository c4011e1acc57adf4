// What the add and edit forms share: errors shown where the person is looking.
import { field, h, message } from "../dom.js";

// Shows an error in the form's status (role=alert, so screen readers announce it) and puts
// focus where the fix is: the field named, or else the message itself.
export function errorFocus(status, text, control) {
  const shown = message("error", text);
  status.replaceChildren(shown);
  if (control) {
    control.focus();
  } else {
    shown.setAttribute("tabindex", "-1");
    shown.focus();
  }
}

export function nameHint(what) {
  return `The ${what}'s name in the API: letters, digits and - _ . (no spaces); it cannot change later.`;
}

// A small "add" form for administrators, folded behind a <details> so that reading comes first:
// `fields` are [key, label, control, hint]; `submit` gets {key: value} and resolves where to go.
export function addForm({ id, title, fields, submit }) {
  const status = h("div", { class: "form-status" });
  const button = h("button", { type: "submit", class: "primary", id: `${id}-submit` }, title);
  const form = h(
    "form",
    { id, class: "add-form" },
    fields.map(([, label, control, hint]) => field(label, control, hint)),
    status,
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    const values = Object.fromEntries(
      fields.map(([key, , control]) => [key, control.type === "checkbox" ? control.checked : control.value.trim()]),
    );
    try {
      await submit(values);
    } catch (error) {
      errorFocus(status, error.message, fields[0][2]);
      button.disabled = false;
    }
  });
  return h("details", { class: "add", id: `${id}-details` }, h("summary", {}, title), form);
}
