// The notes UI: lists, creates and deletes notes through the extension's own API. It runs in a
// sandboxed iframe without credentials, so every call goes through the host page with
// exthost.api (exthost-bridge.js, a copy of sdk/js/exthost-bridge.js made by build.sh).
"use strict";

const list = document.getElementById("notes");
const form = document.getElementById("new-note");
const statusLine = document.getElementById("status");

function showStatus(text) {
  statusLine.textContent = text;
}

// The API's answer as JSON, or an Error carrying the API's error message.
async function call(method, path, options) {
  const response = await exthost.api(method, path, options);
  const document = response.body ? JSON.parse(response.body) : null;
  if (response.status >= 400) {
    const message = document && document.error ? document.error.message : "HTTP " + response.status;
    throw new Error(message);
  }
  return document;
}

function noteItem(note) {
  const item = document.createElement("li");
  const title = document.createElement("span");
  title.textContent = note.title;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "Delete";
  remove.addEventListener("click", async () => {
    try {
      await call("DELETE", "/notes/" + encodeURIComponent(note.id), { headers: { "If-Match": '"' + note.revision + '"' } });
      await refresh();
    } catch (error) {
      showStatus("Could not delete: " + error.message);
    }
  });
  item.append(title, remove);
  return item;
}

async function refresh() {
  const { notes } = await call("GET", "/notes");
  list.replaceChildren(...notes.map(noteItem));
  showStatus(notes.length === 1 ? "1 note" : notes.length + " notes");
  exthost.resize();
}

async function showTitle() {
  const settings = await call("GET", "/settings");
  if (typeof settings.title === "string" && settings.title) {
    document.getElementById("title").textContent = settings.title;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = new FormData(form);
  try {
    await call("POST", "/notes", { body: { title: fields.get("title"), text: fields.get("text") } });
    form.reset();
    await refresh();
  } catch (error) {
    showStatus("Could not add the note: " + error.message);
  }
});

exthost.ready();
Promise.all([showTitle(), refresh()]).catch((error) => showStatus("Could not load notes: " + error.message));
