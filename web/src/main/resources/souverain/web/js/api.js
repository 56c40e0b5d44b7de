// The server's API as the page uses it: JSON in and out, the session's CSRF token on every
// state-changing request, and an Error carrying the API's own message and status when it refuses.

let csrfToken = null;

/** The session's CSRF token, from /auth/login or /auth/session; null once signed out. */
export function setCsrfToken(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(status, message, code, param) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

function headers(body) {
  const h = { Accept: 'application/json' };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (csrfToken) h['X-CSRF-Token'] = csrfToken;
  return h;
}

async function errorOf(response) {
  let message = response.statusText || `HTTP ${response.status}`;
  let code = null;
  let param = null;
  try {
    const body = await response.json();
    if (body && body.error) {
      message = body.error.message || message;
      code = body.error.code || null;
      param = body.error.param || null;
    }
  } catch {
    // Not JSON: the status text says it.
  }
  return new ApiError(response.status, message, code, param);
}

/**
 * Fired on the document ('souverain:unauthenticated') when the API answers 401 to a signed-in
 * page: the session expired or was ended elsewhere.
 */
async function refused(response) {
  const error = await errorOf(response);
  if (response.status === 401 && csrfToken) {
    document.dispatchEvent(new CustomEvent('souverain:unauthenticated', { detail: { message: error.message } }));
  }
  return error;
}

async function request(method, path, body, signal) {
  const response = await fetch(path, {
    method,
    headers: headers(body),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
  if (!response.ok) throw await refused(response);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

/**
 * Posts {@code body} and reads the answer as server-sent events, calling onChunk with each
 * event's parsed data until [DONE]. An error event (the stream's last) throws as an ApiError;
 * aborting {@code signal} stops reading and closes the connection, which cancels the generation.
 */
async function stream(path, body, onChunk, signal) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { ...headers(body), Accept: 'text/event-stream' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
  if (!response.ok) throw await refused(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let end;
    while ((end = buffered.search(/\r?\n\r?\n/)) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = event.split(/\r?\n/).filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, '')).join('\n');
      if (!data) continue;
      if (data === '[DONE]') {
        reader.cancel().catch(() => {});
        return;
      }
      const chunk = JSON.parse(data);
      if (chunk.error) throw new ApiError(500, chunk.error.message, chunk.error.code, chunk.error.param);
      onChunk(chunk);
    }
  }
}

/**
 * Uploads {@code file} as the part "file" of a multipart POST, calling onProgress(fraction) as its
 * bytes go out (fetch cannot tell upload progress; XMLHttpRequest can).
 */
function upload(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON: the status says it.
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body);
      } else {
        reject(new ApiError(xhr.status, body?.error?.message || `HTTP ${xhr.status}`, body?.error?.code || null,
          body?.error?.param || null));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network error', null, null)));
    const form = new FormData();
    form.set('file', file, file.name);
    xhr.send(form);
  });
}

export const api = {
  get: (path, signal) => request('GET', path, undefined, signal),
  post: (path, body) => request('POST', path, body === undefined ? {} : body),
  patch: (path, body) => request('PATCH', path, body),
  put: (path, body) => request('PUT', path, body),
  del: (path, body) => request('DELETE', path, body),
  stream,
  upload,
};
