// A table's certification, followers and votes. The certification is a change of the table (a
// patch with If-Match, EditAll as the server asks of it); following and voting are the person's
// own relations to it, which anyone who reads the table may set, and which make no new version.
import { api, segment } from "../api.js";
import { formatTime, h } from "../dom.js";
import { editError, focusLater, labelOf, patchEntity, showError } from "./edit.js";

// The classification certifications come from: the server's assetCertificationSettings, read
// where the person may read them (the default otherwise, as OpenMetadata ships it).
async function certificationClassification() {
  try {
    const setting = await api.get("/api/v1/system/settings/assetCertificationSettings");
    return setting?.config_value?.allowedClassification || "Certification";
  } catch {
    return "Certification";
  }
}

function certifiedText(certification) {
  const label = certification?.tagLabel;
  if (!label) return "Not certified";
  const until = certification.expiryDate ? ` until ${formatTime(certification.expiryDate)}` : "";
  return `${label.displayName || label.name || label.tagFQN}${until}`;
}

// One select of the allowed classification's tags, saved as soon as it changes.
export async function certificationEditor({ table, can, onSaved }) {
  const current = table.certification?.tagLabel?.tagFQN ?? "";
  if (!can("EditAll")) return h("span", { id: "certification" }, certifiedText(table.certification));
  const classification = await certificationClassification();
  const tags = await api.get("/api/v1/tags", { parent: classification, limit: 50 });
  const select = h(
    "select",
    { id: "certification" },
    h("option", { value: "" }, "Not certified"),
    (tags.data ?? []).map((tag) => h("option", { value: tag.fullyQualifiedName, selected: tag.fullyQualifiedName === current }, tag.displayName || tag.name)),
  );
  const status = h("div", { class: "edit-status" });
  select.addEventListener("change", async () => {
    select.disabled = true;
    // The server dates the certification (applied now, expiring after the settings' period).
    const operation = select.value
      ? { op: "add", path: "/certification", value: { tagLabel: labelOf(select.value, "Classification"), appliedDate: 0, expiryDate: 0 } }
      : { op: "remove", path: "/certification" };
    focusLater("certification");
    try {
      onSaved(await patchEntity("table", table, [operation]));
    } catch (error) {
      select.value = current;
      select.disabled = false;
      showError(status, editError(error, "table"));
    }
  });
  const expiry = table.certification?.expiryDate ? h("span", { class: "muted" }, ` until ${formatTime(table.certification.expiryDate)}`) : null;
  return h("div", { class: "editable" }, h("label", { for: "certification", class: "visually-hidden" }, "Certification"), select, expiry, status);
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

// Follow and vote buttons (toggle buttons: aria-pressed says whether the person follows or voted
// so), with the counts. `me` is the signed-in user; a caller who is not a catalog user (no-auth)
// sees the counts only.
export function followAndVote({ table, me, onChanged }) {
  const followers = table.followers ?? [];
  const votes = table.votes ?? {};
  const mine = (list) => Boolean(me?.id) && (list ?? []).some((ref) => ref.id === me.id);
  const following = mine(followers);
  const up = mine(votes.upVoters);
  const down = mine(votes.downVoters);
  const status = h("div", { class: "edit-status" });
  const act = (id, change) => async () => {
    try {
      await change();
      focusLater(id);
      await onChanged();
    } catch (error) {
      showError(status, editError(error, "table"));
    }
  };
  const path = `/api/v1/tables/${segment(table.id)}`;
  const toggle = (id, pressed, text, change) =>
    h("button", { type: "button", class: "secondary small", id, "aria-pressed": String(pressed), onclick: act(id, change) }, text);
  const vote = (type) => () => api.put(`${path}/vote`, { updatedVoteType: type });
  const canAct = Boolean(me?.id) && !me.anonymous;
  return h(
    "div",
    { class: "social", id: "social" },
    h("span", { id: "followers-count" }, plural(followers.length, "follower", "followers")),
    canAct
      ? toggle("follow", following, following ? "Unfollow" : "Follow", () =>
          following ? api.del(`${path}/followers/${segment(me.id)}`) : api.put(`${path}/followers`, me.id),
        )
      : null,
    h("span", { id: "votes-count" }, `${plural(votes.upVotes ?? 0, "up vote", "up votes")}, ${plural(votes.downVotes ?? 0, "down vote", "down votes")}`),
    canAct ? toggle("vote-up", up, "Vote up", vote(up ? "unVoted" : "votedUp")) : null,
    canAct ? toggle("vote-down", down, "Vote down", vote(down ? "unVoted" : "votedDown")) : null,
    status,
  );
}
