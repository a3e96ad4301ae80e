// Opens one extension UI at a time in a sandboxed iframe with the bridge host attached.
//
// Invariants: the iframe has sandbox="allow-scripts allow-forms" and never allow-same-origin,
// so the UI's document has an opaque origin and cannot reach this page or its sessionStorage;
// only same-origin /ext-ui/ URLs are opened; opening another UI stops the previous bridge.

import { authorization } from "./api.js";
import { ExthostBridgeHost } from "./exthost-bridge-host.js";

const SANDBOX = "allow-scripts allow-forms";
let current = null;

export function closeViewer() {
  if (current) current.bridge.stop();
  current = null;
  document.getElementById("viewer-frame").replaceChildren();
  document.getElementById("viewer-section").hidden = true;
}

export function openViewer(install) {
  closeViewer();
  const url = new URL(install.uiUrl, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/ext-ui/")) {
    throw new Error("the install's UI URL is not an /ext-ui/ URL of this server");
  }
  const state = document.getElementById("viewer-state");
  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", SANDBOX);
  iframe.setAttribute("referrerpolicy", "no-referrer");
  iframe.title = "UI of " + install.extension;
  iframe.id = "extension-frame";
  const bridge = new ExthostBridgeHost({
    iframe,
    extensionId: install.extensionId,
    authorization,
    onEvent: (type) => {
      if (type === "ready") {
        state.textContent = "ready";
        iframe.dataset.ready = "true";
      }
    },
  });
  current = { bridge, iframe };
  iframe.addEventListener("load", () => {
    iframe.dataset.loaded = "true";
    if (!iframe.dataset.ready) state.textContent = "loaded";
  });
  state.textContent = "loading…";
  document.getElementById("viewer-name").textContent = install.extension + " " + install.version;
  iframe.src = url.pathname + url.search;
  document.getElementById("viewer-frame").append(iframe);
  document.getElementById("viewer-section").hidden = false;
}
