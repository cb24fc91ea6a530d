// The console's only way to the server: the public API on this origin, with the officer's token.
//
// The token lives in this module's memory and nowhere else (no web storage, no cookie): it is
// gone when the tab closes or reloads, no other tab or later visitor of the machine can pick it
// up, and it is never sent anywhere but in the Authorization header of this origin's API calls.
// It lasts CHELETE_TOKEN_TTL (15 minutes by default); an officer logs in again after a reload or
// when it ends. docs/console.md says why.

let session = null;
let expiryTimer = null;
let onSessionEnded = () => {};

/// What to do when the token ends (expired, or refused with a 401): the app shows the login.
export function whenSessionEnds(callback) {
  onSessionEnded = callback;
}

export function currentSession() {
  return session;
}

export function signOut() {
  session = null;
  if (expiryTimer !== null) {
    clearTimeout(expiryTimer);
    expiryTimer = null;
  }
}

function endSession(reason) {
  if (session === null) {
    return;
  }
  signOut();
  onSessionEnded(reason);
}

/// An RFC 7807 problem for failures that never reached the API's own problem+json.
function localProblem(title, detail, status = 0) {
  return { type: 'about:blank', title, status, detail, errors: [] };
}

async function problemOf(response) {
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      const body = await response.json();
      if (body && typeof body === 'object' && typeof body.title === 'string') {
        return { errors: [], ...body };
      }
    } catch (e) {
      // fall through: an unreadable body gets a generic problem
    }
  }
  return localProblem(`The server answered ${response.status}`, response.statusText, response.status);
}

function urlOf(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(name, String(value));
    }
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/// A random UUID (v4) for Idempotency-Key; crypto.getRandomValues works on plain http too.
export function newIdempotencyKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function send(method, path, { query, body, idempotencyKey } = {}) {
  const headers = { Accept: 'application/json, application/problem+json, text/csv' };
  if (session !== null) {
    headers.Authorization = `Bearer ${session.token}`;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (idempotencyKey) {
    headers['Idempotency-Key'] = idempotencyKey;
  }
  try {
    return {
      response: await fetch(urlOf(path, query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      }),
    };
  } catch (e) {
    return { problem: localProblem('The server could not be reached', 'check the connection and try again') };
  }
}

/// Calls the API. Answers {ok: true, status, data, headers} or {ok: false, status, problem}.
/// A 401 while signed in ends the session (the token expired or was revoked).
export async function call(method, path, options = {}) {
  const sent = await send(method, path, options);
  if (sent.problem) {
    return { ok: false, status: 0, problem: sent.problem };
  }
  const { response } = sent;
  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401 && session !== null && !options.login) {
      endSession('Your session has ended: log in again.');
    }
    return { ok: false, status: response.status, problem };
  }
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  return { ok: true, status: response.status, data, headers: response.headers };
}

/// A file from the API (the central-bank return) as a Blob, with the name the server gave it.
export async function fetchFile(path, query, fallbackName) {
  const sent = await send('GET', path, { query });
  if (sent.problem) {
    return { ok: false, status: 0, problem: sent.problem };
  }
  const { response } = sent;
  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401 && session !== null) {
      endSession('Your session has ended: log in again.');
    }
    return { ok: false, status: response.status, problem };
  }
  const disposition = response.headers.get('Content-Disposition') || '';
  const named = /filename="([^"]+)"/.exec(disposition);
  const blob = await response.blob();
  return {
    ok: true,
    status: response.status,
    blob,
    filename: named ? named[1] : fallbackName,
    headers: response.headers,
  };
}

/// Staff login (username and password). On success the session holds the token and role.
export async function signIn(username, password) {
  signOut();
  const r = await call('POST', '/v1/auth/token', { body: { username, password }, login: true });
  if (!r.ok) {
    return r;
  }
  const lifetime = Number(r.data.expires_in) || 900;
  session = {
    token: r.data.access_token,
    role: r.data.role,
    subject: r.data.subject_id,
    username,
    expiresAt: Date.now() + lifetime * 1000,
  };
  // The console leaves when the token does: a call with an expired token would fail anyway.
  expiryTimer = setTimeout(() => endSession('Your session has ended: log in again.'), lifetime * 1000);
  return r;
}
