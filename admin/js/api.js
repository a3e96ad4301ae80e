// The exthost management API as the admin page uses it: JSON calls with the key kept in
// sessionStorage, and one error type for every refusal.
//
// Invariants: the key is read from sessionStorage for each call and sent only to this page's
// own origin (relative URLs, credentials omitted, redirects refused); every failure becomes
// an ApiError carrying the API's code, message, issues and request id.

const KEY_ITEM = "exthost.apiKey";

export class ApiError extends Error {
  constructor(status, code, message, { requestId = null, field = null, issues = [] } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.field = field;
    this.issues = issues;
  }
}

export const apiKey = {
  get() {
    return sessionStorage.getItem(KEY_ITEM);
  },
  set(key) {
    sessionStorage.setItem(KEY_ITEM, key);
  },
  forget() {
    sessionStorage.removeItem(KEY_ITEM);
  },
};

export function authorization() {
  const key = apiKey.get();
  if (!key) throw new ApiError(0, "NO_API_KEY", "paste an API key first");
  return "Bearer " + key;
}

// The ApiError for a response that is not a success: the API's error document when there is
// one, else the HTTP status (a proxy's HTML page, an empty body).
export function errorFrom(status, text, requestIdHeader) {
  let error = null;
  try {
    const document = JSON.parse(text);
    error = document && typeof document.error === "object" ? document.error : null;
  } catch {
    error = null;
  }
  if (!error) {
    return new ApiError(status, "HTTP_" + status, "the server answered HTTP " + status, { requestId: requestIdHeader });
  }
  return new ApiError(status, String(error.code || "HTTP_" + status), String(error.message || ""), {
    requestId: error.requestId || requestIdHeader,
    field: error.field || null,
    issues: Array.isArray(error.issues) ? error.issues : [],
  });
}

// Calls `path` (under /api/) with the key; resolves with the parsed JSON (null for 204).
export async function api(method, path, body) {
  const headers = { Authorization: authorization(), Accept: "application/json" };
  const init = { method, headers, credentials: "omit", redirect: "error", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    throw new ApiError(0, "NETWORK_ERROR", "the request did not reach the server: " + cause.message);
  }
  const text = await response.text();
  if (!response.ok) throw errorFrom(response.status, text, response.headers.get("X-Request-Id"));
  return text ? JSON.parse(text) : null;
}
