// The chat app: conversation list, composer, streaming answers with live reasoning, per-conversation settings.
import { store, listModels, streamChat, setApiKey, getApiKey, ApiError } from './api.js';
import { renderMarkdown } from './markdown.js';

const $ = id => document.getElementById(id);
const el = {
  sidebar: $('sidebar'), backdrop: $('backdrop'), openSidebar: $('open-sidebar'), closeSidebar: $('close-sidebar'),
  newChat: $('new-chat'), search: $('search'), list: $('conversation-list'), listEmpty: $('conversation-empty'),
  themeToggle: $('theme-toggle'), exportAll: $('export-all'), importButton: $('import-button'), importFile: $('import-file'),
  title: $('chat-title'), modelName: $('model-name'), exportChat: $('export-chat'), openSettings: $('open-settings'),
  settings: $('settings'), settingsForm: $('settings-form'), messages: $('messages'), welcome: $('welcome'),
  form: $('composer-form'), composer: $('composer'), thinkToggle: $('think-toggle'), status: $('status'),
  send: $('send'), stop: $('stop'),
};

const DEFAULT_SETTINGS = { thinking: true, thinkingBudget: null, temperature: 0.6, topP: 0.95, maxTokens: null, seed: null, systemPrompt: '' };

const state = {
  conversations: [],
  current: null,            // { id, title, settings, messages[] }; id null until the first message is sent
  model: '',
  generation: null,         // { controller } while an answer streams
  search: '',
};

function loadDefaults() {
  try { return { ...DEFAULT_SETTINGS, ...JSON.parse(localStorage.getItem('r1.defaults') || '{}') }; } catch { return { ...DEFAULT_SETTINGS }; }
}
function saveDefaults(settings) {
  try { localStorage.setItem('r1.defaults', JSON.stringify(settings)); } catch { /* storage disabled */ }
}

function setStatus(text, isError = false) {
  el.status.textContent = text;
  el.status.classList.toggle('error', isError);
}

function reportError(prefix, e) {
  if (e instanceof ApiError && e.status === 401) {
    setStatus('The server needs an API key: enter it in the settings.', true);
    openSettings(true);
  } else setStatus(`${prefix}: ${e.message || e}`, true);
}

// ---------- theme ----------
function applyTheme(theme) {
  document.documentElement.setAttribute('data-theme', theme);
  el.themeToggle.textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
  el.themeToggle.setAttribute('aria-pressed', String(theme === 'dark'));
}
el.themeToggle.addEventListener('click', () => {
  const next = document.documentElement.getAttribute('data-theme') === 'dark' ? 'light' : 'dark';
  try { localStorage.setItem('r1.theme', next); } catch { /* storage disabled */ }
  applyTheme(next);
});

// ---------- sidebar (off-canvas on phones) ----------
function setSidebar(open) {
  document.body.classList.toggle('sidebar-open', open);
  el.backdrop.hidden = !open;
  el.openSidebar.setAttribute('aria-expanded', String(open));
  if (open) el.newChat.focus();
}
el.openSidebar.addEventListener('click', () => setSidebar(true));
el.closeSidebar.addEventListener('click', () => { setSidebar(false); el.openSidebar.focus(); });
el.backdrop.addEventListener('click', () => setSidebar(false));
const isPhone = () => window.matchMedia('(max-width: 767px)').matches;

// ---------- conversation list ----------
async function refreshList() {
  try {
    state.conversations = await store.list(state.search);
  } catch (e) { reportError('Could not load conversations', e); return; }
  renderList();
}

function renderList() {
  el.list.replaceChildren(...state.conversations.map(renderListItem));
  el.listEmpty.hidden = state.conversations.length > 0;
  el.listEmpty.textContent = state.search ? 'No matching conversations.' : 'No conversations yet.';
}

function renderListItem(c) {
  const li = document.createElement('li');
  li.className = 'conversation-item';
  li.dataset.testid = 'conversation-item';
  li.dataset.id = c.id;
  if (state.current?.id === c.id) li.classList.add('active');

  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'conv-open';
  open.textContent = c.title;
  open.title = c.title;
  if (state.current?.id === c.id) open.setAttribute('aria-current', 'page');
  open.addEventListener('click', () => { openConversation(c.id); if (isPhone()) setSidebar(false); });

  const rename = document.createElement('button');
  rename.type = 'button';
  rename.className = 'icon-btn small conv-rename';
  rename.setAttribute('aria-label', `Rename "${c.title}"`);
  rename.textContent = '\u270E';
  rename.addEventListener('click', () => startRename(li, c));

  const del = document.createElement('button');
  del.type = 'button';
  del.className = 'icon-btn small conv-delete';
  del.setAttribute('aria-label', `Delete "${c.title}"`);
  del.textContent = '\u2715';
  del.addEventListener('click', () => {
    if (!del.classList.contains('confirm')) {      // two-step: first click arms, second deletes
      del.classList.add('confirm');
      del.textContent = 'Delete?';
      del.setAttribute('aria-label', `Confirm deleting "${c.title}"`);
      setTimeout(() => { if (del.isConnected) { del.classList.remove('confirm'); del.textContent = '\u2715'; } }, 4000);
      return;
    }
    deleteConversation(c.id);
  });

  li.append(open, rename, del);
  return li;
}

function startRename(li, c) {
  const input = document.createElement('input');
  input.type = 'text';
  input.className = 'rename-input';
  input.value = c.title;
  input.setAttribute('aria-label', 'New title');
  li.replaceChildren(input);
  input.focus();
  input.select();
  let done = false;
  const finish = async save => {
    if (done) return;
    done = true;
    const title = input.value.trim();
    if (save && title && title !== c.title) {
      try {
        await store.update(c.id, { title });
        if (state.current?.id === c.id) { state.current.title = title; el.title.textContent = title; }
      } catch (e) { reportError('Rename failed', e); }
    }
    await refreshList();
  };
  input.addEventListener('keydown', e => {
    if (e.key === 'Enter') { e.preventDefault(); finish(true); }
    else if (e.key === 'Escape') { e.preventDefault(); finish(false); }
  });
  input.addEventListener('blur', () => finish(true));
}

async function deleteConversation(id) {
  try { await store.remove(id); } catch (e) { reportError('Delete failed', e); return; }
  if (state.current?.id === id) newChat();
  await refreshList();
}

let searchTimer = 0;
el.search.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { state.search = el.search.value.trim(); refreshList(); }, 200);
});

// ---------- opening and starting conversations ----------
function newChat() {
  if (state.generation) stopGeneration();
  state.current = { id: null, title: 'New chat', settings: loadDefaults(), messages: [] };
  history.replaceState(null, '', location.pathname);
  renderConversation();
  renderList();
  el.composer.focus();
}
el.newChat.addEventListener('click', () => { newChat(); if (isPhone()) setSidebar(false); });

async function openConversation(id) {
  if (state.generation) stopGeneration();
  let c;
  try { c = await store.get(id); } catch (e) {
    if (e instanceof ApiError && e.status === 404) { newChat(); return; }
    reportError('Could not open the conversation', e); return;
  }
  state.current = { ...c, settings: { ...DEFAULT_SETTINGS, ...(c.settings || {}) } };
  history.replaceState(null, '', `#/c/${encodeURIComponent(c.id)}`);
  renderConversation();
  renderList();
}

function renderConversation() {
  const c = state.current;
  el.title.textContent = c.title;
  document.title = c.id ? `${c.title} - R1Sharp Chat` : 'R1Sharp Chat';
  el.exportChat.hidden = !c.id;
  el.messages.replaceChildren(el.welcome);
  el.welcome.hidden = c.messages.length > 0;
  c.messages.forEach((m, i) => el.messages.append(messageElement(m, i === c.messages.length - 1).root));
  fillSettingsForm();
  scrollToBottom(true);
}

// ---------- messages ----------
function copyText(text, button) {
  const done = ok => {
    const old = button.textContent;
    button.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => { button.textContent = old; }, 1200);
  };
  const fallback = () => {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed'; ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    done(ok);
  };
  if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).then(() => done(true), fallback);
  else fallback();
}

function actionButton(label, text, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'text-btn';
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

function thoughtLabel(seconds, live) {
  if (live) return 'Thinking\u2026';
  return seconds != null ? `Thought for ${seconds} second${seconds === 1 ? '' : 's'}` : 'Thoughts';
}

/** Builds a message's DOM; for assistant messages returns update() to re-render as the stream grows. */
function messageElement(m, isLast) {
  const root = document.createElement('article');
  root.className = `message ${m.role}`;
  if (m.role === 'user') {
    root.dataset.testid = 'message-user';
    root.setAttribute('aria-label', 'You said');
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    bubble.textContent = m.content;                   // the user's text is shown as typed, never as markup
    const actions = document.createElement('div');
    actions.className = 'message-actions';
    actions.append(actionButton('Copy message', 'Copy', e => copyText(m.content, e.currentTarget)));
    root.append(bubble, actions);
    return { root };
  }

  root.dataset.testid = 'message-assistant';
  root.setAttribute('aria-label', 'R1 answered');
  const reasoning = document.createElement('section');
  reasoning.className = 'reasoning';
  reasoning.dataset.testid = 'reasoning';
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'reasoning-toggle';
  const body = document.createElement('div');
  body.className = 'reasoning-body markdown';
  body.id = `reasoning-${m.id || Math.random().toString(36).slice(2)}`;
  toggle.setAttribute('aria-controls', body.id);
  reasoning.append(toggle, body);
  const setOpen = open => {
    reasoning.classList.toggle('collapsed', !open);
    toggle.setAttribute('aria-expanded', String(open));
    body.hidden = !open;
  };
  toggle.addEventListener('click', () => setOpen(toggle.getAttribute('aria-expanded') !== 'true'));

  const content = document.createElement('div');
  content.className = 'content markdown';
  const footer = document.createElement('div');
  footer.className = 'message-actions';
  const stats = document.createElement('span');
  stats.className = 'stats muted small';
  root.append(reasoning, content, footer);
  content.addEventListener('click', onCodeCopy);
  body.addEventListener('click', onCodeCopy);

  let live = false;
  const update = () => {
    const hasReasoning = !!m.reasoning;
    reasoning.hidden = !hasReasoning;
    toggle.textContent = thoughtLabel(m.meta?.thoughtSeconds, live && !m.content);
    if (hasReasoning) renderMarkdown(body, m.reasoning);
    renderMarkdown(content, m.content || '');
    content.hidden = !m.content && live;
  };
  const renderFooter = () => {
    footer.replaceChildren();
    if (live) return;
    footer.append(actionButton('Copy answer', 'Copy', e => copyText(m.content || '', e.currentTarget)));
    if (isLast) footer.append(actionButton('Regenerate answer', 'Regenerate', () => regenerate()));
    const parts = [];
    if (m.meta?.model) parts.push(m.meta.model);
    if (m.meta?.completionTokens != null) parts.push(`${m.meta.completionTokens} tokens`);
    if (m.meta?.tokensPerSecond != null) parts.push(`${m.meta.tokensPerSecond.toFixed(1)} tokens/s`);
    if (m.meta?.stopped) parts.push('stopped');
    if (m.meta?.finishReason === 'length') parts.push('cut at max tokens');
    if (m.meta?.error) parts.push(`error: ${m.meta.error}`);
    stats.textContent = parts.join(' \u00B7 ');
    footer.append(stats);
  };
  setOpen(false);
  update();
  renderFooter();
  return {
    root, update, renderFooter,
    setLive(on) { live = on; if (on) setOpen(true); else setOpen(false); update(); renderFooter(); },
  };
}

function onCodeCopy(e) {
  const button = e.target.closest('.code-copy');
  if (!button) return;
  const code = button.closest('.code-block')?.querySelector('pre code');
  if (code) copyText(code.textContent, button);
}

function scrollToBottom(force) {
  const box = el.messages;
  if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 120) box.scrollTop = box.scrollHeight;
}

// ---------- sending and streaming ----------
function setGenerating(on) {
  el.send.hidden = on;
  el.stop.hidden = !on;
  updateSendEnabled();
}

function updateSendEnabled() {
  el.send.disabled = !!state.generation || el.composer.value.trim() === '';
}

function autosize() {
  el.composer.style.height = 'auto';
  el.composer.style.height = Math.min(el.composer.scrollHeight, 240) + 'px';
}

el.composer.addEventListener('input', () => { autosize(); updateSendEnabled(); });
el.composer.addEventListener('keydown', e => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    if (!el.send.disabled) el.form.requestSubmit();
  }
});
el.form.addEventListener('submit', e => { e.preventDefault(); send(); });
el.stop.addEventListener('click', () => stopGeneration());
document.addEventListener('keydown', e => {
  if (e.key === 'Escape') {
    if (state.generation) stopGeneration();
    else if (!el.settings.hidden) { openSettings(false); el.openSettings.focus(); }
    else if (document.body.classList.contains('sidebar-open')) setSidebar(false);
  }
});

async function send() {
  const text = el.composer.value.trim();
  if (!text || state.generation) return;
  const c = state.current;
  el.composer.value = '';
  autosize();
  updateSendEnabled();
  setStatus('');
  try {
    if (!c.id) {
      const created = await store.create(text.replace(/\s+/g, ' ').slice(0, 60), c.settings);
      c.id = created.id;
      c.title = created.title;
      history.replaceState(null, '', `#/c/${encodeURIComponent(c.id)}`);
      el.title.textContent = c.title;
      el.exportChat.hidden = false;
    }
    const saved = await store.append(c.id, { role: 'user', content: text });
    c.messages.push(saved);
  } catch (e) {
    el.composer.value = text;
    updateSendEnabled();
    reportError('Could not save the message', e);
    return;
  }
  renderConversation();
  refreshList();
  await generate();
}

function requestBody(c) {
  const s = c.settings;
  const messages = [];
  if (s.systemPrompt?.trim()) messages.push({ role: 'system', content: s.systemPrompt.trim() });
  for (const m of c.messages) messages.push({ role: m.role, content: m.content });
  const body = { model: state.model || undefined, messages, temperature: Number(s.temperature), top_p: Number(s.topP),
    stream_options: { include_usage: true } };
  if (!s.thinking) body.thinking_budget = 0;
  else if (s.thinkingBudget != null && s.thinkingBudget !== '') body.thinking_budget = Number(s.thinkingBudget);
  if (s.maxTokens) body.max_tokens = Number(s.maxTokens);
  if (s.seed != null && s.seed !== '') body.seed = Number(s.seed);
  return body;
}

async function generate() {
  const c = state.current;
  const m = { id: null, role: 'assistant', content: '', reasoning: '', meta: { model: state.model || undefined } };
  const view = messageElement(m, true);
  // The previous last answer loses its Regenerate button.
  el.messages.querySelectorAll('.message.assistant .message-actions button[aria-label="Regenerate answer"]').forEach(b => b.remove());
  el.welcome.hidden = true;
  el.messages.append(view.root);
  view.setLive(true);
  scrollToBottom(true);

  const controller = new AbortController();
  state.generation = { controller };
  setGenerating(true);
  const started = performance.now();
  let firstToken = 0, lastToken = 0, firstContent = 0, chunks = 0, usage = null, finishReason = null, error = null, stopped = false;
  let frame = 0;
  const schedule = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => { frame = 0; view.update(); scrollToBottom(false); });
  };
  try {
    await streamChat(requestBody(c), controller.signal, chunk => {
      if (chunk.model && !m.meta.model) m.meta.model = chunk.model;
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (!choice) return;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const d = choice.delta || {};
      const now = performance.now();
      if (d.reasoning_content) { m.reasoning += d.reasoning_content; chunks++; firstToken ||= now; lastToken = now; }
      if (d.content) {
        if (!firstContent && m.reasoning) m.meta.thoughtSeconds = Math.max(1, Math.round((now - started) / 1000));
        firstContent ||= now;
        m.content += d.content; chunks++; firstToken ||= now; lastToken = now;
      }
      schedule();
    });
  } catch (e) {
    if (e.name === 'AbortError') stopped = true;
    else error = e;
  }
  if (frame) { cancelAnimationFrame(frame); frame = 0; }
  state.generation = null;
  setGenerating(false);

  if (m.reasoning && m.meta.thoughtSeconds == null) m.meta.thoughtSeconds = Math.max(1, Math.round(((lastToken || performance.now()) - started) / 1000));
  const tokens = usage?.completion_tokens ?? chunks;
  m.meta.completionTokens = tokens;
  if (tokens > 1 && lastToken > firstToken) m.meta.tokensPerSecond = (tokens - 1) / ((lastToken - firstToken) / 1000);
  if (finishReason) m.meta.finishReason = finishReason;
  if (stopped) m.meta.stopped = true;
  if (error) m.meta.error = error.message;
  view.setLive(false);

  if (error && !m.content && !m.reasoning) {
    view.root.remove();
    reportError('Generation failed', error);
    renderConversation();
    return;
  }
  if (error) reportError('Generation failed', error);
  if (state.current !== c || !c.id) return;          // the user switched away meanwhile: the answer is dropped
  try {
    const saved = await store.append(c.id, { role: 'assistant', content: m.content, reasoning: m.reasoning || null, meta: m.meta });
    Object.assign(m, saved);
    c.messages.push(m);
  } catch (e) { reportError('Could not save the answer', e); }
  refreshList();
}

function stopGeneration() {
  state.generation?.controller.abort();
}

async function regenerate() {
  const c = state.current;
  if (state.generation || !c?.id) return;
  const last = c.messages[c.messages.length - 1];
  if (last?.role === 'assistant') {
    try { await store.removeMessage(c.id, last.id, false); } catch (e) { reportError('Could not regenerate', e); return; }
    c.messages.pop();
  }
  if (!c.messages.length) return;
  renderConversation();
  await generate();
}

// ---------- settings ----------
function openSettings(open) {
  el.settings.hidden = !open;
  el.openSettings.setAttribute('aria-expanded', String(open));
  if (open) el.settingsForm.elements.thinking.focus();
}
el.openSettings.addEventListener('click', () => openSettings(el.settings.hidden));

function fillSettingsForm() {
  const s = state.current.settings;
  const f = el.settingsForm.elements;
  f.thinking.checked = !!s.thinking;
  f.thinkingBudget.value = s.thinkingBudget ?? '';
  f.temperature.value = s.temperature;
  f.temperatureOut.value = Number(s.temperature).toFixed(2);
  f.topP.value = s.topP;
  f.maxTokens.value = s.maxTokens ?? '';
  f.seed.value = s.seed ?? '';
  f.systemPrompt.value = s.systemPrompt || '';
  f.apiKey.value = getApiKey();
  el.thinkToggle.setAttribute('aria-pressed', String(!!s.thinking));
}

let settingsTimer = 0;
function readSettingsForm() {
  const f = el.settingsForm.elements;
  const num = v => (v === '' ? null : Number(v));
  return {
    thinking: f.thinking.checked, thinkingBudget: num(f.thinkingBudget.value), temperature: Number(f.temperature.value),
    topP: Number(f.topP.value), maxTokens: num(f.maxTokens.value), seed: num(f.seed.value), systemPrompt: f.systemPrompt.value,
  };
}
function settingsChanged() {
  const c = state.current;
  c.settings = readSettingsForm();
  el.settingsForm.elements.temperatureOut.value = c.settings.temperature.toFixed(2);
  el.thinkToggle.setAttribute('aria-pressed', String(c.settings.thinking));
  saveDefaults(c.settings);
  clearTimeout(settingsTimer);
  if (c.id) settingsTimer = setTimeout(() => store.update(c.id, { settings: c.settings }).catch(e => reportError('Could not save settings', e)), 300);
}
el.settingsForm.addEventListener('input', e => {
  if (e.target.name === 'apiKey') { setApiKey(e.target.value); return; }
  settingsChanged();
});
el.settingsForm.addEventListener('submit', e => e.preventDefault());
el.thinkToggle.addEventListener('click', () => {
  el.settingsForm.elements.thinking.checked = el.thinkToggle.getAttribute('aria-pressed') !== 'true';
  settingsChanged();
});

// ---------- export / import ----------
function download(doc, name) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
el.exportAll.addEventListener('click', async () => {
  try { download(await store.exportAll(), 'r1-conversations.json'); } catch (e) { reportError('Export failed', e); }
});
el.exportChat.addEventListener('click', async () => {
  if (!state.current?.id) return;
  try { download(await store.exportOne(state.current.id), `r1-conversation-${state.current.id}.json`); } catch (e) { reportError('Export failed', e); }
});
el.importButton.addEventListener('click', () => el.importFile.click());
el.importFile.addEventListener('change', async () => {
  const file = el.importFile.files?.[0];
  el.importFile.value = '';
  if (!file) return;
  try {
    const result = await store.importDocument(JSON.parse(await file.text()));
    setStatus(`Imported ${result.imported.length} conversation(s).`);
    await refreshList();
  } catch (e) { reportError('Import failed', e); }
});

// ---------- start ----------
async function start() {
  applyTheme(document.documentElement.getAttribute('data-theme') || 'light');
  state.current = { id: null, title: 'New chat', settings: loadDefaults(), messages: [] };
  renderConversation();
  updateSendEnabled();
  listModels().then(models => {
    state.model = models[0] || '';
    el.modelName.textContent = state.model || 'no model';
  }, e => { el.modelName.textContent = 'model unavailable'; if (e instanceof ApiError && e.status === 401) reportError('', e); });
  await refreshList();
  const match = location.hash.match(/^#\/c\/([^/]+)$/);
  if (match) await openConversation(decodeURIComponent(match[1]));
  el.composer.focus();
  document.body.dataset.ready = 'true';
}
start();
