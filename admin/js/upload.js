// Publishes a bundle from the page: initiate-upload, the bytes to wherever the page can send
// them, then finalize with the signature file.
//
// Where the bytes go: straight to the bundle store when the presigned URLs are this page's own
// origin (the file store) or https elsewhere (S3 whose bucket allows this origin by CORS and
// which the page's connect-src lists); a cross-origin attempt the browser refuses (CSP, CORS,
// no route) falls back to the upload proxy. An http store URL from this https page is mixed
// content and goes to the proxy at once. A session the page does not use is aborted, so
// staging keeps nothing. The file is sent as Blob slices: the page never reads it into memory.

import { ApiError, api, authorization, errorFrom } from "./api.js";

const SIGNATURE_MAX_BYTES = 64 * 1024;
// Headers a browser sets itself and refuses from scripts; the presigned URL still holds.
const BROWSER_SET_HEADERS = new Set(["content-length", "host", "connection"]);

class StoreUnreachable extends Error {}

async function readSignature(file) {
  if (file.size > SIGNATURE_MAX_BYTES) {
    throw new ApiError(0, "SIGNATURE_FILE_INVALID", file.name + " is larger than a signature document can be");
  }
  try {
    const document = JSON.parse(await file.text());
    if (document && typeof document === "object" && !Array.isArray(document)) return document;
  } catch {
    // reported below, with the file's name
  }
  throw new ApiError(0, "SIGNATURE_FILE_INVALID",
    file.name + " is not a signature document ({algorithm, signature, certificate}, as exthost sign writes it)");
}

// One request with upload progress. `onBytes(sent)` reports the bytes of `body` sent so far.
// Resolves with the XHR once the answer arrived; rejects with StoreUnreachable when there was
// no answer at all (a refused, blocked or failed connection).
function send(method, url, body, headers, onBytes) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    for (const [name, value] of Object.entries(headers)) {
      if (!BROWSER_SET_HEADERS.has(name.toLowerCase())) request.setRequestHeader(name, value);
    }
    request.upload.onprogress = (event) => onBytes(event.loaded);
    request.onload = () => resolve(request);
    request.onerror = () => reject(new StoreUnreachable(method + " " + new URL(url, location.href).origin + " got no answer"));
    request.onabort = request.onerror;
    request.send(body);
  });
}

function storeRefused(request) {
  return new ApiError(request.status, "STORE_REFUSED",
    "the bundle store refused the upload with HTTP " + request.status + ": " + request.responseText.slice(0, 300));
}

function urlsOf(session) {
  return session.strategy === "multipart" ? session.parts.map((part) => part.url) : [session.url];
}

function directUploadPossible(session) {
  return urlsOf(session).every((url) => {
    const target = new URL(url, location.href);
    return target.origin === location.origin || target.protocol === "https:";
  });
}

async function putWhole(session, file, progress) {
  const request = await send(session.method || "PUT", session.url, file, session.headers || {}, (sent) => progress(sent / file.size));
  if (request.status < 200 || request.status > 299) throw storeRefused(request);
  return undefined;
}

// PUTs each part in turn; returns the [{partNumber, etag}] list finalize needs.
async function putParts(session, file, progress) {
  const parts = [];
  for (const part of session.parts) {
    const start = (part.partNumber - 1) * session.partSize;
    const slice = file.slice(start, Math.min(file.size, start + session.partSize));
    const request = await send("PUT", part.url, slice, {}, (sent) => progress((start + sent) / file.size));
    if (request.status < 200 || request.status > 299) throw storeRefused(request);
    const etag = request.getResponseHeader("ETag");
    if (!etag) {
      throw new ApiError(0, "ETAG_HIDDEN", "the bundle store does not show the part's ETag to the page (its CORS rule needs ExposeHeaders: ETag)");
    }
    parts.push({ partNumber: part.partNumber, etag });
  }
  return parts;
}

async function postThroughProxy(file, progress) {
  const query = new URLSearchParams({ filename: file.name, size: String(file.size) });
  const headers = { Authorization: authorization(), "Content-Type": "application/zstd" };
  let request;
  try {
    request = await send("POST", "/api/ext-bundles/upload-proxy?" + query, file, headers, (sent) => progress(sent / file.size));
  } catch (error) {
    throw new ApiError(0, "NETWORK_ERROR", "the upload did not reach the server: " + error.message);
  }
  if (request.status !== 201) throw errorFrom(request.status, request.responseText, request.getResponseHeader("X-Request-Id"));
  return JSON.parse(request.responseText);
}

async function abortQuietly(uploadId) {
  try {
    await api("POST", "/api/ext-bundles/abort", { uploadId });
  } catch {
    // an unused session also expires and exthost admin gc removes it
  }
}

// Uploads and finalizes `file`; `report(fraction, stage)` follows the progress. Resolves with
// finalize's answer plus `strategy` (presigned-put, multipart or proxy).
export async function publishBundle(file, signatureFile, report) {
  const signature = signatureFile ? await readSignature(signatureFile) : undefined;
  report(0, "opening the upload");
  const session = await api("POST", "/api/ext-bundles/initiate-upload", { filename: file.name, size: file.size });
  let uploadId = session.uploadId;
  let strategy = session.strategy;
  let parts;
  let viaProxy = !directUploadPossible(session);
  if (!viaProxy) {
    try {
      const progress = (fraction) => report(fraction, "uploading to the bundle store");
      parts = strategy === "multipart" ? await putParts(session, file, progress) : await putWhole(session, file, progress);
    } catch (error) {
      await abortQuietly(uploadId);
      if (!(error instanceof StoreUnreachable)) throw error;
      viaProxy = true;
    }
  } else {
    await abortQuietly(uploadId);
  }
  if (viaProxy) {
    const answer = await postThroughProxy(file, (fraction) => report(fraction, "uploading through the API"));
    uploadId = answer.uploadId;
    strategy = answer.strategy;
  }
  report(1, "checking and publishing");
  const body = { uploadId };
  if (signature) body.signature = signature;
  if (parts) body.parts = parts;
  try {
    const published = await api("POST", "/api/ext-bundles/finalize", body);
    return { ...published, strategy };
  } catch (error) {
    await abortQuietly(uploadId);
    throw error;
  }
}
