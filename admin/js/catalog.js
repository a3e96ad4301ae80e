// The catalog and this tenant's installs: lists them, installs a version with the chosen
// capability grants, toggles an install, opens its UI.
//
// Invariants: the tables always show what the API answered last (every change reloads both);
// the grant checkboxes are exactly the capabilities the chosen version declares.

import { api } from "./api.js";
import { button, element, row } from "./dom.js";
import { clearMessage, showError, showInfo } from "./messages.js";
import { openViewer } from "./viewer.js";

let installTarget = null;

function latestVersion(extension) {
  return extension.versions[extension.versions.length - 1];
}

function fillExtensions(extensions, installed) {
  const body = document.querySelector("#extensions tbody");
  body.replaceChildren(...extensions.map((extension) => {
    const version = latestVersion(extension);
    const action = installed.has(extension.id)
      ? element("span", { text: "installed" })
      : button("Install", () => showInstallForm(extension, version), { "data-extension": extension.qualifiedName });
    const tr = row(extension.qualifiedName, version ? version.version : "-",
      version ? version.capabilities.join(", ") || "-" : "-", version && version.signer ? version.signer : "unsigned", action);
    tr.dataset.extension = extension.qualifiedName;
    return tr;
  }));
}

function fillInstalls(installs) {
  const body = document.querySelector("#installs tbody");
  body.replaceChildren(...installs.map((install) => {
    const actions = element("span", {},
      button(install.enabled ? "Disable" : "Enable", () => toggle(install), { "data-action": "toggle" }));
    if (install.enabled && install.uiUrl) {
      actions.append(button("Open UI", () => {
        try {
          openViewer(install);
        } catch (error) {
          showError(error, "open UI");
        }
      }, { "data-action": "open-ui" }));
    }
    const tr = row(install.extension, install.version, install.grantedCapabilities.join(", ") || "-",
      install.enabled ? "enabled" : "disabled", actions);
    tr.dataset.extension = install.extension;
    tr.dataset.installId = install.id;
    tr.dataset.enabled = String(install.enabled);
    return tr;
  }));
}

export async function refresh() {
  try {
    const [{ extensions }, { installs }] = await Promise.all([api("GET", "/api/extensions"), api("GET", "/api/installs")]);
    fillInstalls(installs);
    fillExtensions(extensions, new Set(installs.map((install) => install.extensionId)));
  } catch (error) {
    showError(error, "loading the catalog");
  }
}

function showInstallForm(extension, version) {
  installTarget = { extension, version };
  const form = document.getElementById("install-form");
  document.getElementById("install-title").textContent = "Install " + extension.qualifiedName + " " + version.version;
  const grants = document.getElementById("install-grants");
  grants.replaceChildren(element("legend", { text: "Grant capabilities" }));
  for (const capability of version.capabilities) {
    const box = element("input", { attributes: { type: "checkbox", name: "grant", value: capability } });
    grants.append(element("label", {}, box, document.createTextNode(" " + capability)));
  }
  if (version.capabilities.length === 0) grants.append(element("p", { text: "This version declares no capabilities." }));
  form.hidden = false;
}

export function hideInstallForm() {
  installTarget = null;
  document.getElementById("install-form").hidden = true;
}

export async function submitInstall() {
  if (!installTarget) return;
  const { extension, version } = installTarget;
  const grantedCapabilities = [...document.querySelectorAll("#install-grants input[name=grant]:checked")].map((box) => box.value);
  try {
    const install = await api("POST", "/api/installs", { extensionId: extension.id, version: version.version, grantedCapabilities });
    hideInstallForm();
    showInfo("Installed " + install.extension + " " + install.version);
  } catch (error) {
    showError(error, "install");
  }
  await refresh();
}

async function toggle(install) {
  clearMessage();
  try {
    const changed = await api("PATCH", "/api/installs/" + encodeURIComponent(install.id), { enabled: !install.enabled });
    showInfo((changed.enabled ? "Enabled " : "Disabled ") + changed.extension);
  } catch (error) {
    showError(error, "toggle");
  }
  await refresh();
}
