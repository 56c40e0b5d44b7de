// The sovereignty report (GET /v1/sovereignty/report) for owners, admins and auditors, as a
// document people read: where the data is, which backends answer and from where, who has access,
// and how it is protected. Everything shown is the report's; labels are the page's own.

import { t } from './i18n.js';
import { h, append, replace } from './dom.js';
import { when, place, facts, section, table, list, yes } from './present.js';

let root = null;
let data = null;

/** A field's label from the catalog, or its name in words when the catalog has none. */
function label(name) {
  const key = `report.field.${name}`;
  const text = t(key);
  return text === key ? name.replace(/_/g, ' ') : text;
}

/** Any value of the report: text, a list, a nested table or definition list. */
function value(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return yes(v);
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'object') {
      const names = [...new Set(v.flatMap((o) => Object.keys(o)))];
      return genericTable(names, v);
    }
    return list(v.map(String));
  }
  if (typeof v === 'object') return details(v);
  return String(v);
}

/** A definition list of an object's fields, each under its label; {@code skip} names fields left out. */
function details(object, skip = []) {
  const dl = h('dl', { class: 'facts' });
  for (const [name, v] of Object.entries(object)) {
    if (skip.includes(name)) continue;
    append(dl, h('dt', {}, label(name)), h('dd', {}, value(v)));
  }
  return dl;
}

function genericTable(names, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'facts-table' },
    h('thead', {}, h('tr', {}, ...names.map((n) => h('th', { scope: 'col' }, label(n))))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...names.map((n) => h('td', { 'data-label': label(n) }, value(row[n]))))))));
}

const CATEGORIES = {
  'conversations and messages': 'report.data.conversations',
  'audit log': 'report.data.audit',
  keys: 'report.data.keys',
  'model files': 'report.data.models',
  'operational logs': 'report.data.logs',
  'document libraries': 'report.data.libraries',
};

function where(r) {
  const w = r.where;
  return section('report-where', 'report.where', 2,
    facts([
      ['report.host', w.host],
      ['report.dataDirectory', w.data_directory],
      ['report.localEngine', h('span', { id: 'report-local-engine' }, place(w.local_engine))],
    ]),
    ...w.data.map((entry, i) => h('section', { class: 'facts-subsection', 'aria-labelledby': `report-data-${i}` },
      h('h3', { id: `report-data-${i}` }, CATEGORIES[entry.category] ? t(CATEGORIES[entry.category]) : entry.category),
      details(entry, ['category']))));
}

function backends(r) {
  return section('report-backends', 'report.backends', 2, table('report.backends', [
    { label: 'report.backend', cell: (b) => h('strong', {}, b.name) },
    { label: 'report.remote', cell: (b) => (b.configured ? yes(b.remote) : t('report.notConfigured')) },
    { label: 'report.location', cell: (b) => (b.location ? place(b.location) : '—') },
    { label: 'report.baseUrl', cell: (b) => b.base_url || t('report.inProcess') },
    { label: 'report.models', cell: (b) => (b.models ? b.models.join(', ') : '—') },
    { label: 'report.requests30', cell: (b) => String(b.last_30_days.requests) },
    { label: 'report.refused30', cell: (b) => String(b.last_30_days.refused) },
  ], r.backends, { id: 'report-backends-table' }));
}

function access(r) {
  const a = r.access;
  const organizations = Object.fromEntries(r.scope.organizations.map((o) => [o.id, o.name]));
  const several = r.scope.organizations.length > 1;
  const organizationColumn = several ? [{ label: 'report.organization', cell: (x) => organizations[x.organization_id] || x.organization_id }] : [];
  return section('report-access', 'report.access', 2,
    h('h3', { 'data-i18n': 'report.users' }, t('report.users')),
    table('report.users', [
      { label: 'report.email', cell: (u) => u.email },
      { label: 'report.role', cell: (u) => t(`role.${u.role}`) },
      ...organizationColumn,
      { label: 'report.disabled', cell: (u) => yes(u.disabled) },
      { label: 'report.lastSignIn', cell: (u) => when(u.last_sign_in_at) },
    ], a.users),
    h('h3', { 'data-i18n': 'report.apiKeys' }, t('report.apiKeys')),
    table('report.apiKeys', [
      { label: 'report.keyName', cell: (k) => k.name || '—' },
      { label: 'report.keyId', cell: (k) => h('code', {}, k.id) },
      ...organizationColumn,
      { label: 'report.scopes', cell: (k) => k.scopes.join(', ') },
      { label: 'report.state', cell: (k) => t(`keys.state.${k.state}`) },
      { label: 'report.lastUsed', cell: (k) => when(k.last_used_at) },
    ], a.api_keys),
    h('h3', { 'data-i18n': 'report.operators' }, t('report.operators')),
    details(a.operators));
}

function security(r) {
  const s = r.security;
  const e = s.encryption;
  const audit = s.audit;
  const intact = h('strong', { class: audit.chain_intact ? 'ok' : 'error', id: 'report-chain' },
    t(audit.chain_intact ? 'audit.intact' : 'audit.broken'));
  return section('report-security', 'report.security', 2,
    h('h3', { 'data-i18n': 'report.encryption' }, t('report.encryption')),
    facts([
      ['report.algorithm', e.algorithm],
      ['report.keyProvider', e.key_provider],
      ['report.currentMasterKey', e.current_master_key],
      ['report.lastRotation', e.last_rotation === 'never rotated' ? t('sovereignty.neverRotated') : when(e.last_rotation)],
      ['report.dataKeys', t('report.dataKeysValue', { live: e.data_keys.live, destroyed: e.data_keys.destroyed })],
      ['report.oldestDataKey', e.data_keys.oldest_created_at
        ? t('sovereignty.keyAgeValue', { days: e.data_keys.oldest_age_days, created: when(e.data_keys.oldest_created_at) }) : null],
    ]),
    table('report.masterKeys', [
      { label: 'report.masterKey', cell: (k) => h('code', {}, k.id) },
      { label: 'report.created', cell: (k) => when(k.created_at) },
      { label: 'report.ageDays', cell: (k) => String(k.age_days) },
      { label: 'report.retired', cell: (k) => (k.retired_at ? when(k.retired_at) : t('facts.no')) },
    ], e.master_keys),
    h('h3', { 'data-i18n': 'report.tls' }, t('report.tls')),
    facts([
      ['report.tlsEnabled', h('strong', { class: s.tls.enabled ? 'ok' : 'warning' }, yes(s.tls.enabled))],
      ['report.tlsStatus', s.tls.status],
      ['report.tlsAdvice', s.tls.advice],
    ]),
    h('h3', { 'data-i18n': 'report.audit' }, t('report.audit')),
    facts([
      ['report.chain', intact],
      ['audit.entriesChecked', String(audit.entries_checked)],
      ['audit.checkpointsChecked', String(audit.checkpoints_checked)],
      ['audit.firstBroken', audit.first_broken_entry === null ? null : String(audit.first_broken_entry)],
      ['audit.reason', audit.reason],
      ['audit.lastCheckpoint', audit.last_signed_checkpoint ? t('audit.checkpointValue', {
        time: when(audit.last_signed_checkpoint.at), entries: audit.last_signed_checkpoint.entry_count }) : t('audit.noCheckpoint')],
    ]),
    h('h3', { 'data-i18n': 'report.retention' }, t('report.retention')),
    table('report.retention', [
      { label: 'report.organization', cell: (o) => o.organization || o.organization_id },
      { label: 'retention.days', cell: (o) => (o.days === null ? t('retention.forever') : String(o.days)) },
    ], s.retention.organizations),
    h('h3', { 'data-i18n': 'report.redaction' }, t('report.redaction')),
    table('report.redaction', [
      { label: 'report.organization', cell: (o) => o.organization || o.organization_id },
      { label: 'report.enabled', cell: (o) => yes(o.enabled) },
      { label: 'report.kinds', cell: (o) => (o.kinds.length ? o.kinds.join(', ') : '—') },
    ], s.redaction),
    h('h3', { 'data-i18n': 'report.outbound' }, t('report.outbound')),
    table('report.outbound', [
      { label: 'report.purpose', cell: (o) => o.purpose },
      { label: 'report.url', cell: (o) => h('code', {}, o.url) },
    ], s.outbound_connections),
    h('p', { class: 'muted' }, s.outbound_note));
}

function draw() {
  const r = data;
  const scope = r.scope.all_organizations ? t('report.scope.all')
    : t('report.scope.own', { organizations: r.scope.organizations.map((o) => o.name).join(', ') });
  replace(root,
    h('h1', { id: 'report-title', tabindex: '-1' }, t('report.title')),
    h('p', { class: 'muted' }, t('report.generated', { time: when(r.generated_at) }), ' · ', scope),
    h('p', {}, t('report.intro')),
    where(r), backends(r), access(r), security(r));
}

export const report = {
  async render(main, ctx) {
    root = h('div', { class: 'page report', id: 'report' },
      h('p', { class: 'muted', role: 'status' }, t('report.loading')));
    replace(main, root);
    try {
      data = await ctx.api.get('/v1/sovereignty/report');
    } catch (e) {
      replace(root, h('p', { class: 'error', role: 'alert' }, e.message));
      return;
    }
    draw();
    root.querySelector('#report-title').focus();
  },
  onLanguageChange() {
    if (root && data) draw();
  },
  leave() {
    root = null;
    data = null;
  },
};
