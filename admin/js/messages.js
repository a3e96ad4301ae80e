// Shows the outcome of an action in the page's one message area: an error with its code,
// every issue the API listed and the request id, or a short success line.

const area = () => document.getElementById("message");

// One line per issue: MANIFEST_INVALID lists {path, code, message}, MODULE_INVALID lists strings.
function issueText(issue) {
  if (typeof issue === "string") return issue;
  if (issue && typeof issue === "object") {
    const where = issue.path ? issue.path + ": " : "";
    const code = issue.code ? "[" + issue.code + "] " : "";
    return where + code + (issue.message || "");
  }
  return String(issue);
}

export function showError(error, context) {
  const box = area();
  box.replaceChildren();
  box.className = "error";
  const title = document.createElement("p");
  const code = document.createElement("strong");
  code.className = "error-code";
  code.textContent = error.code || error.name || "ERROR";
  title.append(code, document.createTextNode(": " + (context ? context + ": " : "") + (error.message || "")));
  box.append(title);
  if (error.field) {
    const field = document.createElement("p");
    field.textContent = "field: " + error.field;
    box.append(field);
  }
  if (Array.isArray(error.issues) && error.issues.length > 0) {
    const list = document.createElement("ul");
    list.className = "issues";
    for (const issue of error.issues) {
      const item = document.createElement("li");
      item.textContent = issueText(issue);
      list.append(item);
    }
    box.append(list);
  }
  if (error.requestId) {
    const id = document.createElement("p");
    id.className = "request-id";
    id.textContent = "request id: " + error.requestId;
    box.append(id);
  }
  box.hidden = false;
}

export function showInfo(text) {
  const box = area();
  box.className = "info";
  box.textContent = text;
  box.hidden = false;
}

export function clearMessage() {
  const box = area();
  box.replaceChildren();
  box.hidden = true;
}
