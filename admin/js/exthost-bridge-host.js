// The host half of the exthost UI bridge (protocol 1; the iframe half is
// sdk/js/exthost-bridge.js): it answers the `api`, `ready` and `resize` messages of one
// sandboxed extension iframe by calling that extension's own API with the admin's key.
//
// Invariants:
// - only messages whose source is this iframe's window are read (the sandboxed UI has the
//   opaque origin "null", so the window is the only identity it has);
// - a call goes only to /api/ext/<this extension>/<path>: a path that could leave that prefix
//   (dot segments, encoded dots or slashes, backslashes, "//", control characters) is refused
//   before any request is made, and the final URL is checked to start with the prefix;
// - the key travels only in the Authorization header of those same-origin requests; no message
//   to the iframe contains it, and the iframe cannot set Authorization, Cookie or proxy headers;
// - every api message gets exactly one api-response with its id;
// - `stop()` detaches the listener; answers for an iframe that was replaced are dropped.

const PROTOCOL = 1;
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const FORWARDED_HEADERS = new Set([
  "accept", "accept-language", "content-language", "content-type",
  "if-match", "if-none-match", "if-modified-since", "if-unmodified-since",
]);
// Custom x- headers pass, except those a proxy or the server would trust.
const REFUSED_HEADER_PREFIXES = ["x-forwarded-", "x-real-ip", "x-accel-", "x-request-id", "x-http-method"];
const MAX_BODY_CHARS = 10 * 1024 * 1024;
const MAX_IN_FLIGHT = 16;
const MIN_HEIGHT = 80;
const MAX_HEIGHT = 4000;

export class BridgeRefusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// The path relative to the extension ("/notes/3?x=1"), or a BridgeRefusal.
export function checkedPath(path) {
  if (typeof path !== "string" || !path.startsWith("/") || path.length > 4096) {
    throw new BridgeRefusal("INVALID_PATH", "the path must be a string starting with '/'");
  }
  const [pathPart] = path.split(/[?#]/, 1);
  if (/[\u0000-\u001f\u007f\\]/.test(path) || pathPart.includes("//") || /%(2e|2f|5c|00)/i.test(pathPart)) {
    throw new BridgeRefusal("INVALID_PATH", "the path may not hold control characters, backslashes, '//' or encoded dots and slashes");
  }
  if (pathPart.split("/").some((segment) => segment === "." || segment === "..")) {
    throw new BridgeRefusal("INVALID_PATH", "the path may not hold '.' or '..' segments");
  }
  return path;
}

function checkedHeaders(headers) {
  const out = {};
  if (headers === null || headers === undefined) return out;
  if (typeof headers !== "object" || Array.isArray(headers)) {
    throw new BridgeRefusal("INVALID_HEADERS", "headers must be an object of strings");
  }
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    const custom = name.startsWith("x-") && !REFUSED_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix));
    if (!FORWARDED_HEADERS.has(name) && !custom) {
      throw new BridgeRefusal("HEADER_NOT_ALLOWED", "the header " + rawName + " cannot be sent through the bridge");
    }
    if (typeof value !== "string" || /[\r\n]/.test(value)) {
      throw new BridgeRefusal("INVALID_HEADERS", "the header " + rawName + " must be a one-line string");
    }
    out[name] = value;
  }
  return out;
}

export class ExthostBridgeHost {
  // `iframe`: the extension's iframe; `extensionId`: its registry id or publisher.name;
  // `authorization()`: returns the "Bearer …" value at call time; `onEvent(type, detail)`:
  // told about ready, resize and navigate (optional).
  constructor({ iframe, extensionId, authorization, onEvent = () => {} }) {
    this.iframe = iframe;
    this.prefix = "/api/ext/" + encodeURIComponent(extensionId);
    this.authorization = authorization;
    this.onEvent = onEvent;
    this.inFlight = 0;
    this.stopped = false;
    this.listener = (event) => this.receive(event);
    window.addEventListener("message", this.listener);
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("message", this.listener);
  }

  receive(event) {
    const frameWindow = this.iframe.contentWindow;
    if (this.stopped || !frameWindow || event.source !== frameWindow) return;
    const data = event.data;
    if (!data || typeof data !== "object" || data.exthost !== PROTOCOL) return;
    switch (data.type) {
      case "api":
        this.answer(frameWindow, data);
        break;
      case "ready":
        this.onEvent("ready", {});
        break;
      case "resize": {
        const height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(Number(data.height) || 0)));
        this.iframe.style.height = height + "px";
        this.onEvent("resize", { height });
        break;
      }
      case "navigate":
        this.onEvent("navigate", { path: String(data.path) });
        break;
      default:
        break;
    }
  }

  async answer(frameWindow, message) {
    const reply = (fields) => {
      if (!this.stopped && this.iframe.contentWindow === frameWindow) {
        // The sandboxed frame's origin is opaque: "*" is the only target origin that reaches it.
        frameWindow.postMessage({ exthost: PROTOCOL, type: "api-response", id: message.id, ...fields }, "*");
      }
    };
    if (this.inFlight >= MAX_IN_FLIGHT) {
      reply({ error: { code: "BRIDGE_BUSY", message: "too many calls in flight; retry" } });
      return;
    }
    this.inFlight += 1;
    try {
      reply(await this.forward(message));
    } catch (error) {
      const code = error instanceof BridgeRefusal ? error.code : "BRIDGE_FAILED";
      reply({ error: { code, message: error instanceof BridgeRefusal ? error.message : "the call did not reach the server" } });
    } finally {
      this.inFlight -= 1;
    }
  }

  async forward(message) {
    const method = String(message.method || "").toUpperCase();
    if (!METHODS.has(method)) throw new BridgeRefusal("METHOD_NOT_ALLOWED", "the method " + method + " cannot be sent through the bridge");
    const url = new URL(this.prefix + checkedPath(message.path), location.origin);
    if (url.origin !== location.origin || !url.pathname.startsWith(this.prefix + "/")) {
      throw new BridgeRefusal("INVALID_PATH", "the path leaves the extension's API");
    }
    const headers = checkedHeaders(message.headers);
    let body = message.body === undefined ? null : message.body;
    if (body !== null && (typeof body !== "string" || body.length > MAX_BODY_CHARS)) {
      throw new BridgeRefusal("INVALID_BODY", "the body must be a string of at most 10 MiB");
    }
    if (method === "GET" || method === "HEAD") body = null;
    headers.authorization = this.authorization();
    const response = await fetch(url, { method, headers, body, credentials: "omit", redirect: "error", cache: "no-store" });
    const answerHeaders = {};
    response.headers.forEach((value, name) => {
      answerHeaders[name] = value;
    });
    return { status: response.status, headers: answerHeaders, body: method === "HEAD" ? null : await response.text() };
  }
}
