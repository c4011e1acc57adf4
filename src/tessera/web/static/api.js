// The one way the UI calls tessera's API: a Bearer token from the session (or, with the
// confidential client, the server's HttpOnly session cookie and its CSRF header on every
// change), JSON in and out, and every failure as an ApiError carrying the server's own
// {code, message}.
//
// A 401 means the session is over: the person goes back to sign-in, told the server's reason.
// A 403 is thrown to the page, which shows the reason where the content would have been.
import { url as serverUrl } from "./base.js";

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

const hooks = {
  token: async () => null,
  unauthorized: () => {},
  // With the confidential client: the CSRF header for requests that change something.
  csrf: () => null,
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

// Set by auth.js; keeps this module free of imports (and of import cycles).
export function configureApi({ token, unauthorized, csrf }) {
  hooks.token = token;
  hooks.unauthorized = unauthorized;
  if (csrf) hooks.csrf = csrf;
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}

export async function request(method, path, { body, query, auth = true, token, headers: extra, contentType } = {}) {
  const url = new URL(serverUrl(path), location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json", ...extra };
  if (body !== undefined) headers["Content-Type"] = contentType ?? "application/json";
  const bearer = token ?? (auth ? await hooks.token() : null);
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const csrf = auth && !bearer ? hooks.csrf() : null;
  if (csrf && !SAFE_METHODS.has(method)) headers[csrf.header] = csrf.token;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      // The session cookie goes only with the confidential client's requests.
      credentials: csrf ? "same-origin" : "omit",
    });
  } catch (error) {
    throw new ApiError(0, `The server could not be reached (${error.message}).`);
  }
  const data = await readBody(response);
  if (response.ok) return data;
  const message =
    (data && typeof data.message === "string" && data.message) ||
    `${response.status} ${response.statusText}`.trim();
  const error = new ApiError(response.status, message, data);
  if (response.status === 401 && auth) hooks.unauthorized(message);
  throw error;
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  put: (path, body) => request("PUT", path, { body }),
  post: (path, body) => request("POST", path, { body }),
  patch: (path, body) => request("PATCH", path, { body }),
  del: (path, query) => request("DELETE", path, { query }),
  // A JSON Patch (RFC 6902) made on the version the page shows: If-Match carries it as the
  // entity tag (RFC 9110 13.1.1), so a change made meanwhile is a 412, never overwritten.
  patchAt: (path, version, operations) =>
    request("PATCH", path, {
      body: operations,
      contentType: "application/json-patch+json",
      headers: { "If-Match": `W/"${version}"` },
    }),
};

// Path segments built from names and FQNs; FQNs may hold dots, quotes and spaces.
export function segment(value) {
  return encodeURIComponent(value);
}
