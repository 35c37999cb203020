// The server's two APIs: the conversation store (/api) and the OpenAI-compatible chat API (/v1).

let apiKey = '';
try { apiKey = localStorage.getItem('r1.apiKey') || ''; } catch { /* storage disabled */ }

export function setApiKey(key) {
  apiKey = key || '';
  try { localStorage.setItem('r1.apiKey', apiKey); } catch { /* storage disabled */ }
}
export function getApiKey() { return apiKey; }

function headers(extra) {
  const h = { ...extra };
  if (apiKey) h.Authorization = `Bearer ${apiKey}`;
  return h;
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function errorFrom(res) {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body?.error?.message) message = body.error.message;
  } catch { /* not JSON */ }
  return new ApiError(res.status, message);
}

async function request(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await errorFrom(res);
  return res.status === 204 ? null : res.json();
}

export const store = {
  list: q => request('GET', '/api/conversations' + (q ? `?q=${encodeURIComponent(q)}` : '')),
  get: id => request('GET', `/api/conversations/${encodeURIComponent(id)}`),
  create: (title, settings) => request('POST', '/api/conversations', { title, settings }),
  update: (id, patch) => request('PATCH', `/api/conversations/${encodeURIComponent(id)}`, patch),
  remove: id => request('DELETE', `/api/conversations/${encodeURIComponent(id)}`),
  append: (id, message) => request('POST', `/api/conversations/${encodeURIComponent(id)}/messages`, message),
  updateMessage: (id, mid, patch) => request('PATCH', `/api/conversations/${encodeURIComponent(id)}/messages/${encodeURIComponent(mid)}`, patch),
  removeMessage: (id, mid, following) =>
    request('DELETE', `/api/conversations/${encodeURIComponent(id)}/messages/${encodeURIComponent(mid)}${following ? '?following=true' : ''}`),
  exportAll: () => request('GET', '/api/export'),
  exportOne: id => request('GET', `/api/conversations/${encodeURIComponent(id)}/export`),
  importDocument: doc => request('POST', '/api/import', doc),
};

export async function listModels() {
  const body = await request('GET', '/v1/models');
  return (body?.data || []).map(m => m.id);
}

/**
 * POST /v1/chat/completions with stream=true and reads the server-sent events: onChunk(chunk) for each JSON chunk
 * (choices[0].delta.reasoning_content first, then delta.content; a last chunk with usage). Resolves when the stream
 * ends ([DONE] or end of body); rejects with an AbortError when signal aborts.
 */
export async function streamChat(body, signal, onChunk) {
  const res = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  if (!res.ok) throw await errorFrom(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let boundary;
    while ((boundary = buffer.search(/\r?\n\r?\n/)) !== -1) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + buffer.slice(boundary).match(/^\r?\n\r?\n/)[0].length);
      const data = event.split(/\r?\n/).filter(l => l.startsWith('data:')).map(l => l.slice(5).replace(/^ /, '')).join('\n');
      if (!data) continue;
      if (data === '[DONE]') return;
      let chunk;
      try { chunk = JSON.parse(data); } catch { continue; }
      if (chunk.error) throw new ApiError(500, chunk.error.message || 'generation failed');
      onChunk(chunk);
    }
  }
}
