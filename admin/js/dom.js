// Small DOM builders, so that every value from the API reaches the page as text, never as HTML.

export function element(tag, { text, className, attributes = {} } = {}, ...children) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function button(text, onClick, attributes = {}) {
  const node = element("button", { text, attributes: { type: "button", ...attributes } });
  node.addEventListener("click", onClick);
  return node;
}

export function row(...cells) {
  return element("tr", {}, ...cells.map((cell) => (cell instanceof Node ? element("td", {}, cell) : element("td", { text: String(cell) }))));
}
