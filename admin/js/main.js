// Wires the admin page: the key form, the upload form, the catalog and the UI viewer.

import { apiKey } from "./api.js";
import { hideInstallForm, refresh, submitInstall } from "./catalog.js";
import { clearMessage, showError, showInfo } from "./messages.js";
import { publishBundle } from "./upload.js";
import { closeViewer } from "./viewer.js";

const byId = (id) => document.getElementById(id);

function showKeyState() {
  byId("key-status").textContent = apiKey.get() ? "key set for this tab" : "no key";
}

byId("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = byId("api-key");
  apiKey.set(input.value.trim());
  input.value = "";
  showKeyState();
  clearMessage();
  await refresh();
});

byId("key-forget").addEventListener("click", () => {
  apiKey.forget();
  closeViewer();
  hideInstallForm();
  for (const body of document.querySelectorAll("#extensions tbody, #installs tbody")) body.replaceChildren();
  showKeyState();
});

byId("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessage();
  const bundle = byId("bundle-file").files[0];
  const signature = byId("signature-file").files[0] || null;
  const bar = byId("upload-bar");
  const stage = byId("upload-stage");
  const result = byId("upload-result");
  const submit = byId("upload-button");
  result.textContent = "";
  byId("upload-progress").hidden = false;
  submit.disabled = true;
  try {
    const published = await publishBundle(bundle, signature, (fraction, text) => {
      bar.value = Math.round(fraction * 100);
      stage.textContent = text + " " + bar.value + "%";
    });
    stage.textContent = "done";
    const signer = published.signature && published.signature.verified ? "signed by " + published.signature.signer : "unsigned";
    result.textContent = "Published " + published.extension.publisher + "." + published.extension.name + " " +
      published.version.version + " (" + published.contentHash + ", " + signer + ", " + published.strategy + ")";
    result.dataset.contentHash = published.contentHash;
    showInfo(result.textContent);
    await refresh();
  } catch (error) {
    stage.textContent = "failed";
    showError(error, "publish");
  } finally {
    submit.disabled = false;
  }
});

byId("install-form").addEventListener("submit", (event) => {
  event.preventDefault();
  submitInstall();
});
byId("install-cancel").addEventListener("click", hideInstallForm);
byId("refresh").addEventListener("click", refresh);
byId("viewer-close").addEventListener("click", closeViewer);

showKeyState();
if (apiKey.get()) refresh();
