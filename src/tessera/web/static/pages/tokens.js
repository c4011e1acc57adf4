// A freshly issued token, shown once with a Copy button. tessera keeps only a hash of personal
// tokens, so there is no second chance to read one.
import { copyText, h } from "../dom.js";

export function tokenReveal(token, id) {
  const input = h("input", {
    id,
    type: "text",
    class: "token",
    readonly: true,
    value: token,
    spellcheck: "false",
    "aria-describedby": `${id}-note`,
  });
  const status = h("span", { class: "muted", role: "status" });
  const copy = h("button", { type: "button", class: "secondary", id: `${id}-copy` }, "Copy");
  copy.addEventListener("click", async () => {
    const copied = await copyText(token, input);
    status.textContent = copied
      ? "Copied to the clipboard."
      : "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
  });
  return h(
    "div",
    { class: "token-reveal" },
    h("label", { for: id }, "New token"),
    h("div", { class: "token-row" }, input, copy),
    h("p", { class: "hint", id: `${id}-note` }, "Copy it now: it is shown only this once."),
    status,
  );
}
