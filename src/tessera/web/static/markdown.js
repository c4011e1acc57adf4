// Descriptions are Markdown (as in OpenMetadata). marked (vendored, see tools/ui-vendor) parses
// them into tokens; this module builds the DOM from those tokens with text nodes only. Its HTML
// output is never used: the page's Trusted Types policy forbids HTML strings, and building
// elements from an allow-list means raw HTML in a description shows as text and a link can only
// be http(s) or mailto. Nothing needs sanitising afterwards because nothing is parsed as HTML.
import { Lexer } from "./vendor/marked.esm.js";
import { h } from "./dom.js";

const SAFE_URL = /^(https?:|mailto:)/i;

function safeHref(href) {
  try {
    const parsed = new URL(href, location.href);
    return SAFE_URL.test(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

function inline(tokens) {
  return (tokens ?? []).map(inlineToken);
}

function inlineToken(token) {
  switch (token.type) {
    case "strong":
      return h("strong", {}, inline(token.tokens));
    case "em":
      return h("em", {}, inline(token.tokens));
    case "del":
      return h("del", {}, inline(token.tokens));
    case "codespan":
      return h("code", {}, token.text);
    case "br":
      return h("br");
    case "link": {
      const href = safeHref(token.href);
      const text = inline(token.tokens);
      return href ? h("a", { href, rel: "noopener noreferrer nofollow", target: "_blank" }, text) : text;
    }
    case "image":
      // No images from elsewhere (the CSP allows none); the alternative text stands in.
      return token.text ? `[${token.text}]` : "";
    case "text":
    case "escape":
      return token.tokens ? inline(token.tokens) : decode(token.text);
    default:
      // html and anything unknown: shown as the text that was written.
      return token.raw ?? "";
  }
}

// The lexer keeps text as written (escaping is its HTML renderer's job), which a text node wants.
function decode(text) {
  return String(text ?? "");
}

function block(token) {
  switch (token.type) {
    case "heading":
      // Headings inside a description sit below the page's own h1/h2.
      return h(`h${Math.min(6, token.depth + 2)}`, {}, inline(token.tokens));
    case "paragraph":
      return h("p", {}, inline(token.tokens));
    case "text":
      return h("p", {}, token.tokens ? inline(token.tokens) : decode(token.text));
    case "code":
      return h("pre", {}, h("code", {}, token.text));
    case "blockquote":
      return h("blockquote", {}, blocks(token.tokens));
    case "list":
      return h(
        token.ordered ? "ol" : "ul",
        token.ordered && token.start !== 1 && token.start !== "" ? { start: token.start } : {},
        token.items.map((item) => h("li", {}, listItem(item))),
      );
    case "table":
      return h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, token.header.map((cell) => h("th", { scope: "col" }, inline(cell.tokens))))),
          h(
            "tbody",
            {},
            token.rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, inline(cell.tokens))))),
          ),
        ),
      );
    case "hr":
      return h("hr");
    case "space":
      return null;
    default:
      return h("p", {}, token.raw ?? "");
  }
}

function listItem(item) {
  // A tight list's item holds text tokens; a loose one paragraphs.
  const content = (item.tokens ?? []).map((token) => (token.type === "text" ? inline(token.tokens ?? [token]) : block(token)));
  if (item.task) return [h("input", { type: "checkbox", checked: item.checked, disabled: true }), " ", content];
  return content;
}

function blocks(tokens) {
  return (tokens ?? []).map(block);
}

// The rendered Markdown, in a <div class="markdown">.
export function markdown(text, props = {}) {
  const tokens = new Lexer({ gfm: true }).lex(String(text ?? ""));
  return h("div", { ...props, class: ["markdown", props.class] }, blocks(tokens));
}

// For a table cell: a one-paragraph description reads as a line of text (a <span>), anything
// longer as blocks.
export function markdownCell(text) {
  const tokens = new Lexer({ gfm: true }).lex(String(text ?? "")).filter((token) => token.type !== "space");
  if (tokens.length === 1 && tokens[0].type === "paragraph") {
    return h("span", { class: "markdown" }, inline(tokens[0].tokens));
  }
  return h("div", { class: "markdown" }, blocks(tokens));
}
