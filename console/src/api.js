// The HTTP API with the key of this browser session. The key lives in sessionStorage:
// it survives a reload, and is gone when the tab closes or on sign-out.
const KEY = "thermodb.key";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.message)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
  get hint() {
    return this.body.hint || "";
  }
}

export const session = {
  key() {
    return sessionStorage.getItem(KEY) || "";
  },
  set(key) {
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
  },
  onUnauthorized: () => {},
};

function headers(json) {
  const out = { Accept: "application/json" };
  const key = session.key();
  if (key) out.Authorization = `Bearer ${key}`;
  if (json) out["Content-Type"] = "application/json";
  return out;
}

/** JSON from the API, or an ApiError carrying the problem+json body. */
export async function api(path, { method, body, signal } = {}) {
  const json = body !== undefined;
  const res = await fetch(path, {
    method: method || (json ? "POST" : "GET"),
    headers: headers(json),
    body: json ? JSON.stringify(body) : undefined,
    signal,
    credentials: "omit",
  });
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 500) };
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401) session.onUnauthorized(err);
    throw err;
  }
  return data;
}

/** A file from the API (exports), saved through a temporary object URL. */
export async function download(path, body, filename) {
  const res = await fetch(path, {
    method: "POST",
    headers: headers(true),
    body: JSON.stringify(body),
    credentials: "omit",
  });
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    throw new ApiError(res.status, data);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return blob;
}
