// What the add and edit forms share: errors shown where the person is looking.
import { message } from "../dom.js";

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
