// Talking to the broker's admin API: JSON requests, server-sent event streams, and the error banner that reports
// their failures. Every URL is relative (api/v1/...) so the monitor works behind a path.

const CREDENTIALS = 'starling.monitor.credentials';

/**
 * What the user typed into the banner, kept for this tab only: { key } (an API key) or { user, password }
 * (a user of the broker's password file), or null: then the broker sees no credentials, which is enough on a
 * loopback listener that does not require authentication.
 */
export function credentials() {
  try {
    return JSON.parse(sessionStorage.getItem(CREDENTIALS));
  } catch {
    return null;
  }
}

const credentialListeners = [];

/** Calls fn whenever the credentials change, so streams reopen and views reload with them. */
export function onCredentialsChange(fn) {
  credentialListeners.push(fn);
}

export function setCredentials(c) {
  if (c) sessionStorage.setItem(CREDENTIALS, JSON.stringify(c));
  else sessionStorage.removeItem(CREDENTIALS);
  refused = false;
  renderCredentialStatus();
  for (const fn of credentialListeners) fn();
}

function renderCredentialStatus() {
  const c = credentials();
  document.getElementById('key-status').hidden = !c;
  document.getElementById('key-status-text').textContent = c?.key ? 'Signed in with an API key' : c ? `Signed in as ${c.user}` : '';
}

/** Whether the last answer of the API, to the credentials we have, was 401 or 403. */
let refused = false;

// ---- the banner -------------------------------------------------------------------------------------------

// One message per source ("clients", "stats stream", ...): a source's next success removes its message, so the
// banner shows what is failing now, not a history.
const problems = new Map();

export function reportError(source, message) {
  problems.set(source, message);
  renderBanner();
}

export function clearError(source) {
  if (problems.delete(source)) renderBanner();
}

function renderBanner() {
  const banner = document.getElementById('banner');
  const list = document.getElementById('banner-messages');
  list.replaceChildren(...[...problems].map(([source, message]) => {
    const li = document.createElement('li');
    const strong = document.createElement('strong');
    strong.textContent = source + ': ';
    li.append(strong, message);
    return li;
  }));
  banner.hidden = problems.size === 0;
  // The key form is offered only while some request is refused for want of credentials.
  document.getElementById('key-form').hidden = ![...problems.values()].some((m) => /^40[13] /.test(m));
}

export function initBanner() {
  renderCredentialStatus();
  document.getElementById('banner-close').addEventListener('click', () => {
    problems.clear();
    renderBanner();
  });
  document.getElementById('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const key = form.elements.key.value.trim();
    const user = form.elements.user.value.trim();
    const password = form.elements.password.value;
    if (!key && !user) return;
    form.reset();
    problems.clear();
    renderBanner();
    setCredentials(key ? { key } : { user, password });
  });
  document.getElementById('forget-key').addEventListener('click', () => setCredentials(null));
}

// ---- requests ---------------------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers() {
  // The marker tells the broker this is the monitor's own page: its 401 then carries no WWW-Authenticate, so
  // the browser shows no login box of its own and the banner can ask instead.
  const h = { Accept: 'application/json', 'X-Starling-Monitor': '1' };
  const c = credentials();
  if (c?.key) h['X-Api-Key'] = c.key;
  else if (c?.user) h.Authorization = `Basic ${base64(`${c.user}:${c.password}`)}`;
  return h;
}

function base64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** A human sentence for a refused request; 401 and 403 say what to do about it. */
function describe(status, statusText, body) {
  if (status === 401) return '401 Unauthorized: the broker wants an API key or a user of its password file.';
  if (status === 403) return '403 Forbidden: these credentials may not use the admin API.';
  const detail = body ? ` ${body.slice(0, 200)}` : '';
  return `${status} ${statusText}${detail}`;
}

/**
 * Sends one request and returns the parsed JSON (null for 204). Any failure is reported in the banner under
 * `source` and thrown again, so callers can stop what they were doing; a success clears that source's message.
 */
export async function request(source, method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? headers() : { ...headers(), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    const message = `network error: the broker cannot be reached (${e.message})`;
    reportError(source, message);
    throw new ApiError(0, message);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    const message = describe(response.status, response.statusText, text);
    if (response.status === 401 || response.status === 403) refused = true;
    reportError(source, message);
    throw new ApiError(response.status, message);
  }
  refused = false;
  clearError(source);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export const get = (source, path) => request(source, 'GET', path);
export const del = (source, path) => request(source, 'DELETE', path);

/** Builds "path?k=v&..." from the non-empty values of params. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** An MQTT topic as URL path segments: each level encoded on its own, the slashes kept. */
export function topicPath(topic) {
  return topic.split('/').map(encodeURIComponent).join('/');
}

// ---- server-sent events -----------------------------------------------------------------------------------

/**
 * Opens a server-sent event stream and calls onEvent(data) with each parsed event named `eventName`.
 * Returns { close() }. Without credentials this is a plain EventSource. EventSource cannot send headers, so
 * with credentials the stream is read by fetch instead; and while the API refuses us for want of them, no
 * stream is opened at all (its 401 would make the browser ask for a password): the banner asks, and the
 * views reopen their streams once credentials are given. A refused or lost stream is reported in the banner,
 * and reopened unless it was refused for credentials (retrying would not help until the user gives some).
 */
export function openStream(source, path, eventName, onEvent, { onOpen } = {}) {
  if (credentials()) return fetchStream(source, path, eventName, onEvent, onOpen);
  if (refused) return { close() {} };
  return eventSource(source, path, eventName, onEvent, onOpen);
}

/** Asks the API once (GET api/v1/broker), so the first streams know whether credentials are needed. */
export async function checkAccess() {
  try {
    await get('Broker', 'api/v1/broker');
  } catch {
    // the banner says why
  }
}

function eventSource(source, path, eventName, onEvent, onOpen) {
  let es = null;
  let closed = false;
  let retry = null;

  const open = () => {
    es = new EventSource(path);
    es.addEventListener('open', () => {
      clearError(source);
      onOpen?.();
    });
    es.addEventListener(eventName, (e) => {
      try {
        onEvent(JSON.parse(e.data));
      } catch (err) {
        reportError(source, `bad event: ${err.message}`);
      }
    });
    es.addEventListener('error', async () => {
      if (closed) return;
      if (es.readyState === EventSource.CONNECTING) {
        // The browser reconnects by itself after a dropped connection.
        reportError(source, 'stream interrupted, reconnecting…');
        return;
      }
      // CLOSED: the broker answered with something other than a 200 event stream. EventSource does not tell
      // which status, so ask the API once to put a useful reason in the banner.
      es.close();
      const status = await probe();
      if (closed) return;
      if (status === 401 || status === 403) {
        refused = true;
        reportError(source, describe(status, '', ''));
        return;
      }
      reportError(source, status ? `stream refused (${status}), retrying in 5 s` : 'network error: the broker cannot be reached, retrying in 5 s');
      retry = setTimeout(open, 5000);
    });
  };

  open();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      es?.close();
      clearError(source);
    },
  };
}

/** The status of GET api/v1/broker (0 when the broker cannot be reached). */
async function probe() {
  try {
    const r = await fetch('api/v1/broker', { headers: headers(), cache: 'no-store' });
    return r.ok ? 200 : r.status;
  } catch {
    return 0;
  }
}

function fetchStream(source, path, eventName, onEvent, onOpen) {
  let controller = null;
  let closed = false;
  let retry = null;

  const again = (ms) => {
    if (!closed) retry = setTimeout(run, ms);
  };

  const run = async () => {
    controller = new AbortController();
    let response;
    try {
      response = await fetch(path, { headers: { ...headers(), Accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
    } catch (e) {
      if (closed) return;
      reportError(source, `network error: the broker cannot be reached (${e.message}), retrying`);
      again(3000);
      return;
    }
    if (!response.ok) {
      reportError(source, describe(response.status, response.statusText, ''));
      if (response.status === 401 || response.status === 403) refused = true;
      else again(5000);
      return;
    }
    clearError(source);
    onOpen?.();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let event = 'message';
    let data = [];
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        // The event-stream format: "field: value" lines, an empty line ends an event.
        while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            if (data.length && event === eventName) {
              try {
                onEvent(JSON.parse(data.join('\n')));
              } catch (err) {
                reportError(source, `bad event: ${err.message}`);
              }
            }
            event = 'message';
            data = [];
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let v = colon < 0 ? '' : line.slice(colon + 1);
            if (v.startsWith(' ')) v = v.slice(1);
            if (field === 'event') event = v;
            else if (field === 'data') data.push(v);
          }
        }
      }
    } catch {
      // aborted by close(), or the connection dropped: handled below
    }
    if (closed) return;
    reportError(source, 'stream interrupted, reconnecting…');
    again(1000);
  };

  run();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      controller?.abort();
      clearError(source);
    },
  };
}
