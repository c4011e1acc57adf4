// Settings » Sign-in (administrators): the doctor's checks of this server's sign-in
// configuration, "Test sign-in" (someone signs in, and their sign-in is explained instead of
// kept), and the explanation of a token someone was refused with. Every verdict is the server's
// own: the same checks and messages as the API's 401s and 403s.
import { api } from "../api.js";
import { authConfig, takeDiagnosis, testSignIn } from "../auth.js";
import { field, h, message, table } from "../dom.js";
import { badge, breadcrumbs, pageHeader } from "./common.js";

const STATUS_KINDS = { ok: "ok", info: "", warning: "danger", error: "danger" };

function findingsTable(findings) {
  const rows = findings.map((f) => [
    badge(f.status, STATUS_KINDS[f.status] ?? ""),
    f.check,
    h("span", {}, f.message, f.setting ? h("span", { class: "hint" }, ` Change: ${f.setting}`) : null),
  ]);
  const shown = table("Findings", ["", "Check", "Finding"], rows);
  shown.id = "findings";
  return shown;
}

export function diagnosisView(diagnosis) {
  const checks = h(
    "ol",
    { class: "checks", id: "diagnosis-checks" },
    diagnosis.checks.map((c) =>
      h(
        "li",
        { class: `check-${c.outcome}` },
        badge(c.outcome, c.outcome === "passed" ? "ok" : "danger"),
        ` ${c.check}`,
        c.detail && c.outcome === "passed" ? h("span", { class: "muted" }, `: ${c.detail}`) : null,
      ),
    ),
  );
  const facts = h(
    "dl",
    { class: "facts", id: "diagnosis-facts" },
    Object.entries(diagnosis.facts ?? {}).flatMap(([key, value]) => [
      h("dt", {}, key),
      h("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value)),
    ]),
  );
  return h(
    "section",
    { id: "diagnosis", "aria-labelledby": "diagnosis-heading" },
    h("h2", { id: "diagnosis-heading" }, "Diagnosis"),
    message(diagnosis.accepted ? "success" : "error", diagnosis.verdict),
    diagnosis.hint ? h("p", { id: "diagnosis-hint" }, h("strong", {}, "What to change: "), diagnosis.hint) : null,
    diagnosis.memberships?.length
      ? h(
          "p",
          { id: "diagnosis-memberships" },
          h("strong", {}, "Memberships: "),
          diagnosis.memberships.join("; "),
        )
      : null,
    h("h3", {}, "Checks"),
    checks,
    h("h3", {}, "What the token says"),
    facts,
  );
}

function configurationSection() {
  const output = h("div", { id: "doctor-output" });
  const run = h("button", { type: "button", class: "secondary", id: "run-doctor" }, "Check configuration");
  run.addEventListener("click", async () => {
    run.disabled = true;
    output.replaceChildren(message("info", "Checking against the identity provider…"));
    try {
      const found = await api.get("/api/v1/system/auth/doctor");
      output.replaceChildren(findingsTable(found.findings));
    } catch (error) {
      output.replaceChildren(message("error", error.message));
    } finally {
      run.disabled = false;
    }
  });
  return h(
    "section",
    { "aria-labelledby": "doctor-heading" },
    h("h2", { id: "doctor-heading" }, "Configuration"),
    h(
      "p",
      {},
      "The checks of tessera doctor: discovery and keys, tenant, client id, callback and public URL, the client secret, the app registration, administrators and the clock.",
    ),
    run,
    output,
  );
}

function explainSection(show) {
  const input = h("textarea", { id: "explain-token", rows: "4", spellcheck: "false", autocomplete: "off" });
  const status = h("div");
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    field("A token someone was refused with (it is not stored, and never shown back)", input),
    status,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", id: "explain" }, "Explain")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim().replace(/^Bearer\s+/i, "");
    if (!token) {
      status.replaceChildren(message("error", "Paste a token first."));
      return;
    }
    try {
      show(await api.post("/api/v1/system/auth/explain", { token }));
      input.value = "";
      status.replaceChildren();
    } catch (error) {
      status.replaceChildren(message("error", error.message));
    }
  });
  return h("section", { "aria-labelledby": "explain-heading" }, h("h2", { id: "explain-heading" }, "Explain a token"), form);
}

export async function signInCheckPage() {
  const result = h("div", { id: "diagnosis-slot" });
  const show = (diagnosis) => result.replaceChildren(diagnosisView(diagnosis));
  const pending = takeDiagnosis();
  if (pending) show(pending);
  const test = h("button", { type: "button", class: "primary", id: "test-sign-in" }, "Test sign-in");
  test.addEventListener("click", () => {
    test.disabled = true;
    Promise.resolve(testSignIn()).catch((error) => {
      result.replaceChildren(message("error", error.message));
      test.disabled = false;
    });
  });
  const confidential = authConfig().clientType === "confidential";
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Sign-in", ""],
    ]),
    pageHeader("Sign-in"),
    h(
      "section",
      { "aria-labelledby": "test-heading" },
      h("h2", { id: "test-heading" }, "Test sign-in"),
      h(
        "p",
        {},
        "Sign in with the account to test (Microsoft asks for it). Instead of signing it in, tessera shows here whether it would be let in, and if not, why and what to change. ",
        confidential ? "Your own session stays as it is." : "Your own session in this tab stays as it is.",
      ),
      test,
    ),
    result,
    configurationSection(),
    explainSection(show),
  );
}
