/*
 * exthost-bridge.js: the iframe half of the exthost UI bridge (protocol version 1).
 *
 * An extension's UI runs in a sandboxed iframe with an opaque origin and no API key, so it
 * cannot call its own API directly. It asks the page that embeds it instead, with postMessage;
 * that page (the host half) checks that the message came from this iframe, forwards the call
 * to /api/ext/<this extension>/<path> with its own credentials and posts the answer back.
 *
 *   <script src="exthost-bridge.js"></script>
 *   const response = await exthost.api("GET", "/notes");          // {status, headers, body}
 *   const created = await exthost.api("POST", "/notes", {body: {title: "Hi"}});
 *   exthost.ready();                                              // the UI has loaded
 *   exthost.resize();                                             // fit the iframe to the page
 *
 * Messages this file posts to window.parent (targetOrigin "*": an opaque-origin iframe cannot
 * name the parent's origin, and no message carries anything the parent does not already have):
 *   {exthost: 1, type: "api", id, method, path, headers, body}   body: a string or null
 *   {exthost: 1, type: "ready"}
 *   {exthost: 1, type: "resize", height}
 *   {exthost: 1, type: "navigate", path}
 * and the one it accepts, only from window.parent:
 *   {exthost: 1, type: "api-response", id, status, headers, body}  or  {…, id, error: {code, message}}
 *
 * Invariants: every api() call settles exactly once: with the answer of the same id, with the
 * host's error, or with a timeout (exthost.timeoutMs, 30 s); an answer for an unknown or
 * already settled id is ignored; no message from any window but the parent is read.
 */
(function (global) {
  "use strict";

  var PROTOCOL = 1;
  var pending = new Map();
  var nextId = 1;

  function post(message) {
    message.exthost = PROTOCOL;
    global.parent.postMessage(message, "*");
  }

  function BridgeError(code, message) {
    var error = new Error(message);
    error.name = "ExthostBridgeError";
    error.code = code;
    return error;
  }

  global.addEventListener("message", function (event) {
    if (event.source !== global.parent) return;
    var data = event.data;
    if (!data || data.exthost !== PROTOCOL || data.type !== "api-response") return;
    var call = pending.get(data.id);
    if (!call) return;
    pending.delete(data.id);
    clearTimeout(call.timer);
    if (data.error) {
      call.reject(BridgeError(String(data.error.code || "BRIDGE_ERROR"), String(data.error.message || "the host refused the call")));
    } else {
      call.resolve({ status: data.status, headers: data.headers || {}, body: data.body === undefined ? null : data.body });
    }
  });

  /*
   * Calls the extension's own API through the host page. `path` is relative to the extension
   * ("/notes/3"); `options.body` may be a string, or any other value, sent as JSON (with
   * content-type application/json unless a content-type header is given). Resolves with
   * {status, headers, body} for every HTTP status; rejects only when there is no answer.
   */
  function api(method, path, options) {
    options = options || {};
    var headers = {};
    Object.keys(options.headers || {}).forEach(function (name) {
      headers[name.toLowerCase()] = String(options.headers[name]);
    });
    var body = options.body === undefined || options.body === null ? null : options.body;
    if (body !== null && typeof body !== "string") {
      body = JSON.stringify(body);
      if (!headers["content-type"]) headers["content-type"] = "application/json";
    }
    if (typeof path !== "string" || path.charAt(0) !== "/") {
      return Promise.reject(BridgeError("INVALID_PATH", "the path must start with '/'"));
    }
    var id = nextId++;
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        pending.delete(id);
        reject(BridgeError("BRIDGE_TIMEOUT", "no answer from the host page"));
      }, exthost.timeoutMs);
      pending.set(id, { resolve: resolve, reject: reject, timer: timer });
      post({ type: "api", id: id, method: String(method).toUpperCase(), path: path, headers: headers, body: body });
    });
  }

  /* Tells the host page the UI is ready to be shown. */
  function ready() {
    post({ type: "ready" });
  }

  /* Asks the host page to make the iframe `height` CSS pixels tall (the document's height by default). */
  function resize(height) {
    var document = global.document;
    var measured = height === undefined && document ? document.documentElement.scrollHeight : height;
    post({ type: "resize", height: Math.max(0, Math.ceil(Number(measured) || 0)) });
  }

  /* Asks the host page to navigate within its own UI (what `path` means is the host's choice). */
  function navigate(path) {
    post({ type: "navigate", path: String(path) });
  }

  var exthost = {
    api: api,
    ready: ready,
    resize: resize,
    navigate: navigate,
    timeoutMs: 30000,
  };
  global.exthost = exthost;
})(window);
