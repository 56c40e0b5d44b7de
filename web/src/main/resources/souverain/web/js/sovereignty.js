// The sovereignty panel of the open conversation, in the chat's <aside id="side-panel">: where it
// is stored, that it is encrypted and under which key, who can reach it, which backend answered
// each message, where, and the document libraries its answers drew from. Every fact comes from GET /v1/conversations/{id}/sovereignty; none is
// written in the page. A button in the conversation's header (#chat-tools) opens and closes it; it
// follows the chat's 'souverain:conversation' events, and reloads when a new answer is kept.

import { api } from './api.js';
import { t, onLanguageChange } from './i18n.js';
import { h, announce, append, replace } from './dom.js';
import { when, place, facts, section, list, yes, size } from './present.js';

const REPORT_ROLES = ['owner', 'admin', 'auditor'];

let ctx = null;
let shown = null;   // { id, facts } on screen, or null
let openFor = null; // the conversation the panel is open for, or null when it is closed

function panel() {
  return document.getElementById('side-panel');
}

function toggle() {
  return document.getElementById('sovereignty-toggle');
}

/** The header's button, made once per chat layout; shown while a stored conversation is open. */
function ensureToggle(id) {
  const tools = document.getElementById('chat-tools');
  if (!tools) return null;
  let button = toggle();
  if (!button) {
    button = h('button', { type: 'button', id: 'sovereignty-toggle', class: 'ghost', 'aria-controls': 'side-panel',
      'aria-expanded': 'false', 'data-i18n': 'sovereignty.open' }, t('sovereignty.open'));
    button.addEventListener('click', () => (openFor ? close() : open(ctx.conversationId())));
    append(tools, button);
  }
  button.hidden = !id;
  return button;
}

async function open(id) {
  const aside = panel();
  if (!aside || !id) return;
  openFor = id;
  aside.hidden = false;
  aside.setAttribute('aria-labelledby', 'sovereignty-title');
  toggle()?.setAttribute('aria-expanded', 'true');
  if (!shown || shown.id !== id) replace(aside, frame(h('p', { class: 'muted', role: 'status' }, t('sovereignty.loading'))));
  await load(id);
  aside.querySelector('#sovereignty-title')?.focus();
}

function close() {
  openFor = null;
  const aside = panel();
  if (aside) aside.hidden = true;
  const button = toggle();
  if (button) {
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }
}

async function load(id) {
  try {
    const answer = await api.get(`/v1/conversations/${encodeURIComponent(id)}/sovereignty`);
    if (openFor !== id) return;
    shown = { id, facts: answer };
    render();
    announce(t('sovereignty.loaded'));
  } catch (e) {
    if (openFor !== id) return;
    replace(panel(), frame(h('p', { class: 'error', role: 'alert' }, e.message)));
  }
}

/** Esc inside the panel closes it (and stops there: it is not the chat's Esc, which stops an answer). */
function onKey(event) {
  if (event.key === 'Escape') {
    event.preventDefault();
    event.stopPropagation();
    close();
  }
}

/** The panel's heading and close button around {@code content}. */
function frame(...content) {
  return h('div', { class: 'sovereignty', id: 'sovereignty', onkeydown: onKey },
    h('div', { class: 'panel-head' },
      h('h2', { id: 'sovereignty-title', tabindex: '-1' }, t('sovereignty.title')),
      h('button', { type: 'button', class: 'icon', id: 'sovereignty-close', 'aria-label': t('common.close'),
        title: t('common.close'), onclick: close }, '✕')),
    ...content);
}

function render() {
  const f = shown.facts;
  replace(panel(), frame(
    h('p', { class: 'muted small' }, t('sovereignty.asOf', { time: when(f.generated_at) })),
    storage(f),
    encryption(f),
    access(f),
    answers(f),
    libraries(f),
    reportLink()));
}

function storage(f) {
  const s = f.storage;
  return section('sovereignty-storage', 'sovereignty.storage', 3, facts([
    ['sovereignty.store', h('span', { id: 'sovereignty-store' }, s.location)],
    ['sovereignty.host', s.host],
    ['sovereignty.serverLocation', h('span', { id: 'sovereignty-server-location' }, place(s.server_location))],
    ['sovereignty.certifications', s.server_location?.certifications?.length ? s.server_location.certifications.join(', ') : null],
    ['sovereignty.organization', f.organization.name || f.organization.id],
    ['sovereignty.created', when(s.created_at)],
  ]));
}

function encryption(f) {
  const e = f.encryption;
  const key = e.data_key;
  const whose = key.scope === 'user' ? t('sovereignty.key.user', { organization: f.organization.name })
    : t('sovereignty.key.organization', { organization: f.organization.name });
  return section('sovereignty-encryption', 'sovereignty.encryption', 3, facts([
    ['sovereignty.encrypted', h('span', { id: 'sovereignty-encrypted' }, yes(e.encrypted))],
    ['sovereignty.algorithm', e.algorithm],
    ['sovereignty.encryptedFields', e.encrypted_fields.map((name) => t(`sovereignty.field.${name}`)).join(', ')],
    ['sovereignty.inClear', e.in_clear.map((name) => t(`sovereignty.clear.${name}`)).join(', ')],
    ['sovereignty.dataKey', whose],
    ['sovereignty.keyVersion', key.key_id === undefined ? null : String(key.key_id)],
    ['sovereignty.keyAge', key.created_at ? t('sovereignty.keyAgeValue', { days: key.age_days, created: when(key.created_at) }) : null],
    ['sovereignty.keyDestroyed', key.destroyed_at ? when(key.destroyed_at) : null],
    ['sovereignty.masterKey', t(`sovereignty.master.${e.master_key.kind}`)],
    ['sovereignty.masterKeyProvider', e.master_key.provider],
    ['sovereignty.lastRotation', e.master_key.last_rotation === 'never rotated' ? t('sovereignty.neverRotated')
      : when(e.master_key.last_rotation)],
  ]));
}

function person(user) {
  const role = user.role ? ` (${t(`role.${user.role}`)})` : '';
  const disabled = user.disabled ? ` — ${t('sovereignty.disabled')}` : '';
  return `${user.email}${role}${disabled}`;
}

function key(k) {
  return t('sovereignty.apiKey', { name: k.name || k.id, id: k.id });
}

function access(f) {
  const a = f.access;
  const owner = a.owner.type === 'user' ? person(a.owner) : key(a.owner);
  const operators = a.operators;
  return section('sovereignty-access', 'sovereignty.access', 3,
    facts([
      ['sovereignty.owner', h('span', { id: 'sovereignty-owner' }, owner)],
      ['sovereignty.exporters', list(a.export_and_erase.users.map(person))],
      ['sovereignty.erasers', list([...a.erase_only.users.map(person), ...a.erase_only.api_keys.map(key)])],
      ['sovereignty.auditors', list([...a.audit_metadata_only.users.map(person), ...a.audit_metadata_only.api_keys.map(key)])],
      ['sovereignty.operators', operators.error ? operators.error : list(operators.can_read)],
      ['sovereignty.directory', operators.data_directory
        ? `${operators.data_directory} (${operators.permissions || '?'})` : null],
      // Only a PostgreSQL store has administrators of its own; a SQLite file is covered by the directory.
      ...(operators.database ? [['sovereignty.database', operators.database]] : []),
    ]),
    h('p', { class: 'muted small' }, t('sovereignty.access.note')));
}

function answers(f) {
  const answered = f.messages.filter((m) => m.backend);
  const items = answered.map((m, i) => h('li', { class: 'answer-fact', dataset: { id: m.id } },
    h('strong', {}, t('sovereignty.answer', { n: i + 1 })), ' ',
    h('span', { class: 'muted small' }, when(m.created_at)),
    facts([
      ['sovereignty.model', m.model],
      ['sovereignty.backend', h('span', { class: 'answer-backend' }, m.backend)],
      ['sovereignty.where', h('span', { class: 'answer-location' }, m.location ? place(m.location) : m.backend_location)],
      ['sovereignty.remote', m.configured ? yes(m.remote) : t('sovereignty.notConfigured')],
    ])));
  return section('sovereignty-answers', 'sovereignty.answers', 3,
    items.length ? h('ol', { class: 'plain answers' }, ...items) : h('p', { class: 'muted' }, t('sovereignty.noAnswers')));
}

/** The libraries its answers cited that the person may still read; the others only counted, never named. */
function libraries(f) {
  const l = f.libraries;
  if (!l) return null;
  const items = l.cited.map((library) => h('li', { class: 'library-fact', dataset: { id: library.id } },
    h('strong', { class: 'library-name' }, library.name),
    facts([
      ['sovereignty.libraryId', library.id],
      ['sovereignty.libraryContent', t('sovereignty.libraryContentValue',
        { documents: library.documents, size: size(library.bytes), chunks: library.chunks })],
      ['sovereignty.libraryCitedBy', library.answers === 1 ? t('sovereignty.libraryCitedByOne')
        : t('sovereignty.libraryCitedByValue', { answers: library.answers })],
      ['sovereignty.libraryAccess', t(`sovereignty.libraryRole.${library.role}`)],
    ])));
  const hidden = l.not_readable
    ? h('p', { class: 'muted small', id: 'sovereignty-libraries-hidden' }, t('sovereignty.librariesHidden', { n: l.not_readable }))
    : null;
  if (!items.length) {
    return section('sovereignty-libraries', 'sovereignty.libraries', 3,
      hidden || h('p', { class: 'muted' }, t('sovereignty.noLibraries')));
  }
  return section('sovereignty-libraries', 'sovereignty.libraries', 3,
    h('ul', { class: 'plain cited-libraries' }, ...items),
    hidden,
    facts([
      ['sovereignty.libraryStore', t('sovereignty.libraryStoreValue', { store: f.storage.location })],
      ['sovereignty.libraryEncryption', l.contents.protection],
      ['sovereignty.libraryIndex', h('span', { id: 'sovereignty-library-index' }, l.index.location)],
      ['sovereignty.libraryIndexEncryption', l.index.protection],
    ]));
}

function reportLink() {
  if (!ctx || !REPORT_ROLES.includes(ctx.session.user.role)) return null;
  return h('p', {}, h('a', { href: '#/report', id: 'sovereignty-report-link' }, t('sovereignty.report')));
}

function onConversation(event) {
  const { id, reason } = event.detail;
  ensureToggle(id);
  if (reason === 'closed' || !id) {
    if (openFor) {
      openFor = null;
      const aside = panel();
      if (aside) aside.hidden = true;
    }
    shown = null;
    return;
  }
  if (openFor && (openFor !== id || reason === 'answered')) {
    openFor = id;
    load(id);
  }
}

document.addEventListener('souverain:conversation', onConversation);
onLanguageChange(() => {
  const button = toggle();
  if (button) button.textContent = t('sovereignty.open');
  if (openFor && shown && shown.id === openFor) render();
});

export const sovereignty = {
  /** Called once signed in: the panel needs the session's role for the report link. */
  start(context) {
    ctx = context;
  },
};
