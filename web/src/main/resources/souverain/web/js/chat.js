// The chat: the person's conversations on the left, the open one on the right, the answer
// streamed into the one message being written. A token only touches that message: its Markdown is
// rendered again at most once per animation frame; the history above it is never rendered again.
//
// Other views plug into the conversation header's #chat-tools and the empty <aside id="side-panel">;
// conversationId() names the open conversation, and the document hears 'souverain:conversation'
// ({detail: {id, reason: 'opened' | 'answered' | 'closed'}}) whenever it changes or gets an answer.

import { api } from './api.js';
import { t, applyTranslations } from './i18n.js';
import { h, announce, append, replace, copyButton } from './dom.js';
import { renderMarkdown } from './markdown.js';

const STYLE_KEY = 'souverain.style';
const STYLES = ['conversational', 'structured'];
const LIBRARY_KEY = 'souverain.library';

let ctx = null;
let root = null;
let el = {};
let openId = null;
let models = [];
let conversation = null;
let writing = null;
let filterTimer = 0;

/** The open conversation's id, or null before the first message of a new one. */
export function conversationId() {
  return openId;
}

function changed(reason) {
  document.dispatchEvent(new CustomEvent('souverain:conversation', { detail: { id: openId, reason } }));
}

function style() {
  const kept = localStorage.getItem(STYLE_KEY);
  return STYLES.includes(kept) ? kept : 'conversational';
}

function layout() {
  el.filter = h('input', { id: 'conversation-filter', type: 'search', autocomplete: 'off',
    'data-i18n-placeholder': 'chat.filter.placeholder' });
  el.list = h('ul', { id: 'conversation-list', class: 'conversation-list', role: 'list' });
  el.title = h('h1', { id: 'conversation-title', class: 'conversation-title' });
  el.model = h('select', { id: 'model' });
  el.library = h('select', { id: 'library-picker' });
  el.style = h('select', { id: 'style' },
    ...STYLES.map((s) => h('option', { value: s, 'data-i18n': `chat.style.${s}` })));
  el.style.value = style();
  el.messages = h('div', { id: 'messages', class: 'messages', 'aria-labelledby': 'conversation-title' });
  el.input = h('textarea', { id: 'composer-input', rows: 2, 'data-i18n-placeholder': 'chat.placeholder' });
  el.send = h('button', { type: 'submit', id: 'send', class: 'primary', 'data-i18n': 'chat.send' });
  el.stop = h('button', { type: 'button', id: 'stop', hidden: true, 'data-i18n': 'chat.stop', onclick: stop });
  el.toggle = h('button', { type: 'button', id: 'toggle-conversations', class: 'ghost narrow-only',
    'aria-controls': 'conversations', 'aria-expanded': 'false', 'data-i18n': 'chat.conversations',
    onclick: () => showList(el.toggle.getAttribute('aria-expanded') !== 'true') });
  el.settingsToggle = h('button', { type: 'button', id: 'settings-toggle', class: 'ghost', 'aria-expanded': 'false',
    'aria-controls': 'conversation-settings', 'data-i18n': 'chat.settings', onclick: toggleSettings });
  el.systemPrompt = h('textarea', { id: 'system-prompt', rows: 3 });
  el.temperature = h('input', { id: 'temperature', type: 'number', min: 0, max: 2, step: 0.1, inputmode: 'decimal' });
  el.settingsStatus = h('p', { class: 'muted', role: 'status' });
  el.settings = h('form', { id: 'conversation-settings', class: 'settings card', hidden: true },
    h('label', { for: 'system-prompt', 'data-i18n': 'chat.systemPrompt' }), el.systemPrompt,
    h('p', { class: 'muted small', 'data-i18n': 'chat.systemPrompt.help' }),
    h('label', { for: 'temperature', 'data-i18n': 'chat.temperature' }), el.temperature,
    el.settingsStatus,
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', 'data-i18n': 'common.save' })));
  el.composer = h('form', { class: 'composer', id: 'composer' },
    h('label', { for: 'composer-input', class: 'visually-hidden', 'data-i18n': 'chat.message' }),
    el.input,
    h('div', { class: 'composer-row' },
      h('label', { for: 'style', class: 'inline' }, h('span', { 'data-i18n': 'chat.style' }), el.style),
      h('span', { class: 'muted small hint', 'data-i18n': 'chat.hint' }),
      el.stop, el.send));
  el.error = h('p', { class: 'error', role: 'alert', id: 'chat-error' });

  root = h('div', { class: 'chat', id: 'chat' },
    h('nav', { class: 'conversations', id: 'conversations', 'aria-labelledby': 'conversations-heading' },
      h('h2', { id: 'conversations-heading', class: 'visually-hidden', 'data-i18n': 'chat.conversations' }),
      h('div', { class: 'row list-head' },
        h('button', { type: 'button', id: 'new-conversation', class: 'primary grow', 'data-i18n': 'chat.new',
          onclick: () => { showList(false); ctx.navigate('#/chat'); } }),
        h('button', { type: 'button', id: 'close-conversations', class: 'narrow-only', 'data-i18n': 'common.close',
          onclick: () => { showList(false); el.toggle.focus(); } })),
      h('label', { for: 'conversation-filter', class: 'visually-hidden', 'data-i18n': 'chat.filter' }),
      el.filter,
      el.list),
    h('section', { class: 'conversation', 'aria-labelledby': 'conversation-title' },
      h('div', { class: 'conversation-head' },
        el.toggle,
        el.title,
        h('label', { for: 'model', class: 'inline' }, h('span', { 'data-i18n': 'chat.model' }), el.model),
        h('label', { for: 'library-picker', class: 'inline' }, h('span', { 'data-i18n': 'chat.library' }), el.library),
        el.settingsToggle,
        h('div', { id: 'chat-tools', class: 'chat-tools' })),
      el.settings,
      el.messages,
      el.error,
      el.composer),
    h('aside', { id: 'side-panel', class: 'side-panel', hidden: true }));

  el.filter.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(loadList, 200);
  });
  el.style.addEventListener('change', () => localStorage.setItem(STYLE_KEY, el.style.value));
  el.library.addEventListener('change', () => localStorage.setItem(LIBRARY_KEY, el.library.value));
  el.model.addEventListener('change', async () => {
    if (!openId) return;
    try {
      await api.patch(`/v1/conversations/${openId}`, { model: el.model.value });
    } catch (e) {
      el.error.textContent = e.message;
    }
  });
  el.settings.addEventListener('submit', saveSettings);
  el.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = el.input.value.trim();
    if (!text || writing) return;
    el.input.value = '';
    send(text);
  });
  el.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.composer.requestSubmit();
    }
  });
  applyTranslations(root);
}

function onKey(event) {
  if (event.key === 'Escape' && writing && !document.querySelector('dialog[open]')) {
    event.preventDefault();
    stop();
  }
}

function showList(open) {
  el.toggle.setAttribute('aria-expanded', String(open));
  root.classList.toggle('list-open', open);
  if (open) el.filter.focus();
}

function toggleSettings() {
  const open = el.settings.hidden;
  el.settings.hidden = !open;
  el.settingsToggle.setAttribute('aria-expanded', String(open));
  el.settingsStatus.textContent = '';
  if (open) el.systemPrompt.focus();
}

async function saveSettings(event) {
  event.preventDefault();
  el.settingsStatus.textContent = '';
  const fields = { system_prompt: el.systemPrompt.value };
  if (el.temperature.value !== '') fields.temperature = Number(el.temperature.value);
  try {
    if (!openId) await create(fields);
    else conversation = await api.patch(`/v1/conversations/${openId}`, fields);
    el.settingsStatus.textContent = t('chat.settings.saved');
  } catch (e) {
    el.settingsStatus.textContent = e.message;
  }
}

async function loadModels() {
  const list = await api.get('/v1/models');
  // A sentence-embedding model cannot answer: only the models that chat are offered.
  models = list.data.filter((m) => m.capabilities?.completion_chat !== false).map((m) => m.id);
  replace(el.model, ...models.map((id) => h('option', { value: id }, id)));
}

/** The libraries the person may read, to answer from; the choice is kept per browser. */
async function loadLibraries() {
  const list = await api.get('/v1/libraries');
  const kept = localStorage.getItem(LIBRARY_KEY);
  replace(el.library, h('option', { value: '', 'data-i18n': 'chat.library.none' }, t('chat.library.none')),
    ...list.data.map((l) => h('option', { value: l.id }, l.name)));
  el.library.value = list.data.some((l) => l.id === kept) ? kept : '';
}

async function loadList() {
  const q = el.filter.value.trim();
  const list = await api.get('/v1/conversations' + (q ? `?q=${encodeURIComponent(q)}` : ''));
  replace(el.list, ...list.data.map(listItem));
  if (!list.data.length) {
    append(el.list, h('li', { class: 'muted empty', 'data-i18n': q ? 'chat.filter.none' : 'chat.none' }, t(q ? 'chat.filter.none' : 'chat.none')));
  }
}

function titleOf(c) {
  return c.title || t('chat.untitled');
}

function listItem(c) {
  const link = h('a', { href: `#/chat/${encodeURIComponent(c.id)}`, class: 'conversation-link',
    'aria-current': c.id === openId ? 'page' : null }, titleOf(c));
  const item = h('li', { dataset: { id: c.id } }, link,
    h('button', { type: 'button', class: 'icon rename', title: t('chat.rename'),
      'aria-label': t('chat.rename.named', { title: titleOf(c) }), onclick: () => rename(item, c) }, '✎'),
    h('button', { type: 'button', class: 'icon delete', title: t('chat.delete'),
      'aria-label': t('chat.delete.named', { title: titleOf(c) }), onclick: () => remove(c) }, '✕'));
  link.addEventListener('click', () => showList(false));
  return item;
}

function rename(item, c) {
  const input = h('input', { type: 'text', value: c.title, maxlength: 200, class: 'rename-input',
    'aria-label': t('chat.rename.label') });
  replace(item, input);
  input.focus();
  input.select();
  let done = false;
  const finish = async (save) => {
    if (done) return;
    done = true;
    if (save && input.value.trim() && input.value.trim() !== c.title) {
      try {
        await api.patch(`/v1/conversations/${c.id}`, { title: input.value.trim() });
        if (c.id === openId) {
          conversation.title = input.value.trim();
          showTitle();
        }
      } catch (e) {
        el.error.textContent = e.message;
      }
    }
    await loadList();
    el.list.querySelector(`li[data-id="${CSS.escape(c.id)}"] .rename`)?.focus();
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); finish(true); }
    if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); finish(false); }
  });
  input.addEventListener('blur', () => finish(true));
}

async function remove(c) {
  if (!confirm(t('chat.delete.confirm', { title: titleOf(c) }))) return;
  try {
    await api.del(`/v1/conversations/${c.id}`);
    announce(t('chat.deleted', { title: titleOf(c) }));
    if (c.id === openId) ctx.navigate('#/chat');
    await loadList();
  } catch (e) {
    el.error.textContent = e.message;
  }
}

/**
 * A message on screen; {@code m} is {id?, role, content, interrupted?} and, for a kept answer, who
 * gave it (model, backend, backend_location) and its signed statement (provenance).
 */
function messageElement(m) {
  const body = h('div', { class: 'body' });
  const article = h('article', { class: `message ${m.role}`, dataset: { role: m.role } },
    h('h3', { class: 'who visually-hidden', 'data-i18n': `chat.role.${m.role}` }, t(`chat.role.${m.role}`)),
    body,
    m.role === 'assistant' ? h('p', { class: 'provenance muted small' }) : null,
    h('div', { class: 'actions' }));
  if (m.id) article.dataset.id = m.id;
  answeredBy(article, m);
  setContent(article, m.role, m.content);
  // A kept answer cites as it did live; its passages are read from their documents when opened.
  if (m.references?.length) cite(article, m.references);
  // The server marks an answer cut off (the page closed, the server stopped) in its place.
  if (m.interrupted) append(article, h('p', { class: 'note', 'data-i18n': 'chat.interrupted' }, t('chat.interrupted')));
  return article;
}

function setContent(article, role, content) {
  const body = article.querySelector('.body');
  if (role === 'assistant') renderMarkdown(body, content);
  else body.textContent = content;
  article.content = content;
}

/**
 * Who gave an answer, onto its article: from its signed statement when it has one (the model, the
 * backend and where it ran, as signed), else from what the conversation kept of it.
 */
function answeredBy(article, m) {
  const p = m.provenance;
  if (p) article.answer = { model: p.model, backend: p.backend, location: p.location, provenance: p };
  else if (m.model) article.answer = { model: m.model, backend: m.backend, location: m.backend_location, provenance: null };
}

/** The statement as a copied text carries it: the base64url of its JSON between two marker lines. */
function withProvenance(text, statement) {
  const bytes = new TextEncoder().encode(JSON.stringify(statement));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  const token = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${text}\n\n-----BEGIN SOUVERAIN PROVENANCE-----\n${token}\n-----END SOUVERAIN PROVENANCE-----\n`;
}

/** An answer's mark (EU AI Act, Art. 50): AI-generated, by which model, on which backend and where. */
function provenanceLabel(article) {
  const line = article.querySelector('.provenance');
  if (!line) return;
  const a = article.answer;
  // A message kept by hand, not answered here, is not said to be generated.
  if (!a) {
    replace(line);
    return;
  }
  const where = !a.location || a.location === 'unknown' ? t('chat.provenance.unknownPlace') : a.location;
  replace(line, t('chat.provenance.label', { model: a.model, backend: a.backend || '—', location: where }),
    a.provenance ? h('span', { class: 'signed' }, ' · ', t('chat.provenance.signed')) : null);
}

/**
 * Each message's buttons: edit on the person's; copy (with its statement, when signed) on each
 * answer and regenerate on the last; none while writing. Each answer's mark is written again
 * with them, in the page's language.
 */
function refreshActions() {
  const all = [...el.messages.querySelectorAll('.message')];
  const lastAnswer = all.filter((a) => a.dataset.role === 'assistant').pop();
  for (const article of all) {
    const actions = article.querySelector('.actions');
    replace(actions);
    provenanceLabel(article);
    if (writing) continue;
    if (article.dataset.role === 'user') {
      append(actions, h('button', { type: 'button', class: 'small edit', 'data-i18n': 'chat.edit',
        onclick: () => edit(article) }, t('chat.edit')));
      continue;
    }
    if (article.content) {
      append(actions, copyButton(() => article.content, 'small copy-answer'));
      const statement = article.answer?.provenance;
      if (statement) {
        append(actions, copyButton(() => withProvenance(article.content, statement), 'small copy-provenance',
          'chat.copyWithProvenance'));
      }
    }
    if (article === lastAnswer) {
      append(actions, h('button', { type: 'button', class: 'small regenerate', 'data-i18n': 'chat.regenerate',
        onclick: () => regenerate(article) }, t('chat.regenerate')));
    }
  }
}

/** The conversation's title, or a translated stand-in while it has none. */
function showTitle() {
  if (conversation?.title) {
    el.title.removeAttribute('data-i18n');
    el.title.textContent = conversation.title;
  } else {
    el.title.dataset.i18n = conversation ? 'chat.untitled' : 'chat.newTitle';
    el.title.textContent = t(el.title.dataset.i18n);
  }
}

function renderConversation() {
  showTitle();
  const shown = conversation ? conversation.messages.filter((m) => m.role === 'user' || m.role === 'assistant') : [];
  replace(el.messages, ...shown.map(messageElement));
  if (!shown.length) append(el.messages, h('p', { class: 'muted welcome', 'data-i18n': 'chat.welcome' }, t('chat.welcome')));
  el.systemPrompt.value = conversation?.system_prompt || '';
  el.temperature.value = conversation?.temperature ?? '';
  if (conversation?.model && models.includes(conversation.model)) el.model.value = conversation.model;
  refreshActions();
  el.messages.scrollTop = el.messages.scrollHeight;
}

async function open(id) {
  stop();
  el.error.textContent = '';
  openId = id || null;
  conversation = id ? await api.get(`/v1/conversations/${encodeURIComponent(id)}`) : null;
  renderConversation();
  // Made since the list was read (in another tab, by a script through the API): read it again.
  if (id && ![...el.list.querySelectorAll('a')].some((a) => a.getAttribute('href') === `#/chat/${encodeURIComponent(id)}`)) {
    await loadList();
  }
  for (const link of el.list.querySelectorAll('a')) {
    link.toggleAttribute('aria-current', link.getAttribute('href') === `#/chat/${encodeURIComponent(id)}`);
    if (link.hasAttribute('aria-current')) link.setAttribute('aria-current', 'page');
  }
  changed(id ? 'opened' : 'closed');
}

async function create(fields) {
  conversation = await api.post('/v1/conversations', { model: el.model.value || undefined, ...fields });
  openId = conversation.id;
  // The address follows without routing again: the page already shows this conversation.
  history.replaceState(null, '', `#/chat/${encodeURIComponent(openId)}`);
  changed('opened');
  loadList().catch((e) => { el.error.textContent = e.message; });
  return conversation;
}

/** Asks {@code text}: the person's message, then the answer streamed into a new message. */
async function send(text) {
  el.error.textContent = '';
  if (!openId) {
    try {
      await create({});
    } catch (e) {
      el.error.textContent = e.message;
      return;
    }
  }
  el.messages.querySelector('.welcome')?.remove();
  const asked = messageElement({ role: 'user', content: text });
  const answer = messageElement({ role: 'assistant', content: '' });
  answer.setAttribute('aria-busy', 'true');
  answer.classList.add('writing');
  append(el.messages, asked, answer);
  el.messages.scrollTop = el.messages.scrollHeight;
  const state = { article: answer, text: '', frame: 0, controller: new AbortController() };
  writing = state;
  el.send.hidden = true;
  el.stop.hidden = false;
  refreshActions();
  const id = openId;
  let outcome = 'answered';
  try {
    const asking = { content: text, stream: true, style: el.style.value };
    if (el.library.value) asking.library_ids = [el.library.value];
    await api.stream(`/v1/conversations/${id}/completions`, asking,
      (chunk) => {
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          state.text += delta;
          draw(state);
        }
        if (chunk.references) state.references = chunk.references;
        if (chunk.provenance) answeredBy(answer, { provenance: chunk.provenance });
      }, state.controller.signal);
  } catch (e) {
    outcome = e.name === 'AbortError' ? 'stopped' : 'failed';
    if (outcome === 'failed') el.error.textContent = e.message;
  }
  cancelAnimationFrame(state.frame);
  setContent(answer, 'assistant', state.text);
  if (state.references?.length) cite(answer, state.references);
  answer.removeAttribute('aria-busy');
  answer.classList.remove('writing');
  writing = null;
  el.send.hidden = false;
  el.stop.hidden = true;
  if (outcome === 'answered') {
    announce(t('chat.answered', { text: state.text }));
    await afterAnswer(id, asked, answer);
  } else {
    // The server keeps a turn only once its answer is whole: this one is on screen only.
    append(answer, h('p', { class: 'note', 'data-i18n': `chat.${outcome}` }, t(`chat.${outcome}`)));
    announce(t(`chat.${outcome}`));
  }
  refreshActions();
  // Back to the composer, unless the person has meanwhile opened a cited passage in the side panel.
  if (id === openId && !document.getElementById('side-panel')?.contains(document.activeElement)) el.input.focus();
}

/** The kept turn's ids onto its two messages, and the title the server may have given the conversation. */
async function afterAnswer(id, asked, answer) {
  if (id !== openId) return;
  try {
    conversation = await api.get(`/v1/conversations/${id}`);
    const kept = conversation.messages;
    const [question, reply] = kept.slice(-2);
    if (question?.role === 'user' && reply?.role === 'assistant') {
      asked.dataset.id = question.id;
      answer.dataset.id = reply.id;
      // Its mark and copy buttons follow with the actions, once the turn is done (send).
      answeredBy(answer, reply);
    }
    showTitle();
    await loadList();
    changed('answered');
  } catch (e) {
    el.error.textContent = e.message;
  }
}

/**
 * The answer's references: each marker [n] of its text becomes a button, and a numbered list of
 * the sources follows it; either opens the cited passage in the side panel.
 */
function cite(article, references) {
  const byNumber = new Map(references.map((r) => [r.number, r]));
  const body = article.querySelector('.body');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement.closest('pre, code') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node);
  for (const node of texts) {
    const parts = node.textContent.split(/(\[\d+\])/);
    if (parts.length === 1) continue;
    const replaced = parts.map((part) => {
      const reference = byNumber.get(Number(part.slice(1, -1)));
      return /^\[\d+\]$/.test(part) && reference ? marker(reference) : part;
    });
    const span = append(h('span'), ...replaced);
    node.replaceWith(...span.childNodes);
  }
  append(article, h('div', { class: 'sources' },
    h('h4', { class: 'small-heading' }, t('chat.sources')),
    h('ol', { class: 'plain' }, ...references.map((r) => h('li', {},
      h('button', { type: 'button', class: 'link source', onclick: () => showPassage(r) },
        `[${r.number}] `, r.document_name, r.page ? ` · ${t('chat.source.page', { page: r.page })}` : ''))))));
}

function marker(reference) {
  return h('button', { type: 'button', class: 'marker', onclick: () => showPassage(reference),
    'aria-label': t('chat.source.open', { number: reference.number, name: reference.document_name }) },
  `[${reference.number}]`);
}

/**
 * The cited passage in the side panel: its document, page and text; Esc or Close puts the focus back.
 * A kept answer's reference has no text: it is read from the document, which may since be deleted.
 */
function showPassage(reference) {
  const aside = document.getElementById('side-panel');
  const back = document.activeElement;
  const close = () => {
    aside.hidden = true;
    back?.focus();
  };
  replace(aside, h('div', { class: 'passage', id: 'passage', onkeydown: (event) => {
    if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); close(); }
  } },
  h('div', { class: 'panel-head' },
    h('h2', { id: 'passage-title', tabindex: '-1' }, t('chat.source.title', { number: reference.number })),
    h('button', { type: 'button', class: 'icon', id: 'passage-close', 'aria-label': t('common.close'),
      title: t('common.close'), onclick: close }, '✕')),
  h('p', {}, h('strong', {}, reference.document_name)),
  h('p', { class: 'muted small' }, reference.page ? t('chat.source.page', { page: reference.page }) : null,
    reference.page ? ' · ' : null, t('chat.source.chunk', { chunk: reference.chunk + 1 })),
  reference.text === undefined ? passageOf(reference) : h('blockquote', { class: 'passage-text' }, reference.text)));
  aside.setAttribute('aria-labelledby', 'passage-title');
  aside.hidden = false;
  aside.querySelector('#passage-title').focus();
}

/** The passage a kept reference cites, read from its document; says so when the document is gone. */
function passageOf(reference) {
  const quote = h('blockquote', { class: 'passage-text', 'aria-busy': 'true' }, t('chat.source.loading'));
  const path = `/v1/libraries/${encodeURIComponent(reference.library_id)}/documents/`
    + `${encodeURIComponent(reference.document_id)}/text_content`;
  api.get(path).then((read) => {
    replace(quote, read.text.slice(reference.start, reference.end));
  }, (e) => {
    // Not a quote of the document: what became of it.
    const gone = e.status === 404;
    quote.replaceWith(h('p', { class: gone ? 'muted' : 'error', role: 'status' }, gone ? t('chat.source.gone') : e.message));
  }).finally(() => quote.removeAttribute('aria-busy'));
  return quote;
}

/** At most one Markdown rendering of the message being written per animation frame. */
function draw(state) {
  if (state.frame) return;
  state.frame = requestAnimationFrame(() => {
    state.frame = 0;
    const follow = el.messages.scrollHeight - el.messages.scrollTop - el.messages.clientHeight < 40;
    setContent(state.article, 'assistant', state.text);
    if (follow) el.messages.scrollTop = el.messages.scrollHeight;
  });
}

function stop() {
  if (writing) writing.controller.abort();
}

/**
 * Forgets {@code article} and every message after it, on the server too from the first of them it
 * kept (DELETE /v1/conversations/{id}/messages/{messageId} removes that one and all later ones); a
 * stopped answer and its question were never kept.
 */
async function truncate(article) {
  let kept = article;
  while (kept && !kept.dataset.id) kept = kept.nextElementSibling;
  if (kept) {
    await api.del(`/v1/conversations/${openId}/messages/${kept.dataset.id}`);
  }
  while (article.nextElementSibling) article.nextElementSibling.remove();
  article.remove();
}

async function regenerate(answer) {
  const question = answer.previousElementSibling;
  if (!question || question.dataset.role !== 'user') return;
  try {
    await truncate(question);
    await send(question.content);
  } catch (e) {
    el.error.textContent = e.message;
  }
}

function edit(article) {
  const input = h('textarea', { class: 'edit-input', rows: 3, 'aria-label': t('chat.edit.label') });
  input.value = article.content;
  const save = h('button', { type: 'submit', class: 'primary small', 'data-i18n': 'chat.edit.send' }, t('chat.edit.send'));
  const cancel = h('button', { type: 'button', class: 'small', 'data-i18n': 'common.cancel' }, t('common.cancel'));
  const form = h('form', { class: 'edit-form' }, input, h('div', { class: 'row end' }, cancel, save));
  const body = article.querySelector('.body');
  const actions = article.querySelector('.actions');
  body.hidden = true;
  actions.hidden = true;
  append(article, form);
  input.focus();
  const close = () => {
    form.remove();
    body.hidden = false;
    actions.hidden = false;
  };
  cancel.addEventListener('click', () => { close(); article.querySelector('.edit')?.focus(); });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      cancel.click();
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || writing) return;
    try {
      await truncate(article);
      await send(text);
    } catch (e) {
      close();
      el.error.textContent = e.message;
    }
  });
}

export const chat = {
  async render(main, context) {
    ctx = context;
    if (ctx.session.user.role === 'auditor') {
      replace(main, h('p', { class: 'card muted', 'data-i18n': 'chat.noAccess' }, t('chat.noAccess')));
      return;
    }
    if (!root || !main.contains(root)) {
      layout();
      replace(main, root);
      document.addEventListener('keydown', onKey);
      await Promise.all([loadModels(), loadList(), loadLibraries()]);
    }
    const id = ctx.route.params[0] || null;
    if (id !== openId || !id) await open(id);
    el.input.focus();
  },
  leave() {
    stop();
    document.removeEventListener('keydown', onKey);
    root = null;
    openId = null;
    changed('closed');
  },
  onLanguageChange() {
    if (!root) return;
    loadList();
    refreshActions();
  },
  conversationId,
};
