// Administration of the signed-in person's organization, over /v1/admin and /v1/audit: users and
// their roles, API keys, groups and their models (groups.js), the backends and the residency policy, retention, usage and its charts,
// budgets and limits (usage.js), single sign-on (signon.js), and the audit log with its verification. Owners and admins see every part; auditors the audit log only, read-only.
// #/admin/<part> names the part shown. A one-time password or a new key's secret is shown once,
// in the answer to its creation, and is gone from the page at the next render.

import { t } from './i18n.js';
import { h, announce, copyButton, append, replace } from './dom.js';
import { when, place, facts, table, yes } from './present.js';
import { usagePart, limitsPart } from './usage.js';
import { signOnPart } from './signon.js';
import { groupsPart } from './groups.js';

const PARTS = {
  users: { label: 'admin.users', roles: ['owner', 'admin'] },
  keys: { label: 'admin.keys', roles: ['owner', 'admin'] },
  groups: { label: 'admin.groups', roles: ['owner', 'admin'] },
  policy: { label: 'admin.policy', roles: ['owner', 'admin'] },
  retention: { label: 'admin.retention', roles: ['owner', 'admin'] },
  usage: { label: 'admin.usage', roles: ['owner', 'admin', 'auditor'] },
  limits: { label: 'admin.limits', roles: ['owner', 'admin'] },
  sso: { label: 'admin.sso', roles: ['owner', 'admin'] },
  audit: { label: 'admin.audit', roles: ['owner', 'admin', 'auditor'] },
};
const ROLES = ['member', 'admin', 'auditor', 'owner'];
const SCOPES = ['chat', 'embeddings', 'admin', 'audit'];
const EXPIRIES = ['', '30d', '90d', '365d'];

let ctx = null;
let root = null;
let part = null;
/** What the last answer showed once (a password, a key's secret), kept only until the part is left. */
let once = null;

function allowed(name) {
  return PARTS[name].roles.includes(ctx.session.user.role);
}

function status(id) {
  return h('p', { id, role: 'status', 'aria-live': 'polite', class: 'status' });
}

function say(region, text) {
  region.className = 'status';
  region.setAttribute('role', 'status');
  region.textContent = text;
}

function fail(region, e) {
  region.className = 'error';
  region.setAttribute('role', 'alert');
  region.textContent = e.message;
}

function field(id, labelKey, input, helpKey) {
  return h('div', { class: 'field' },
    h('label', { for: id, 'data-i18n': labelKey }, t(labelKey)), input,
    helpKey ? h('p', { class: 'muted small', id: `${id}-help` }, t(helpKey)) : null);
}

/** The secret shown once: what it is, the value, a copy button, and the warning that it will not be shown again. */
function secretBox(id, textKey, params, secret) {
  return h('div', { class: 'secret card', id, role: 'status' },
    h('p', {}, t(textKey, params)),
    h('div', { class: 'row' }, h('code', { class: 'secret-value', id: `${id}-value` }, secret),
      copyButton(() => secret, 'small copy-secret')),
    h('p', { class: 'muted small' }, t('admin.shownOnce')));
}

// Users and roles.

async function users(container) {
  const region = status('users-status');
  const email = h('input', { id: 'new-user-email', type: 'email', required: true, autocomplete: 'off' });
  const role = h('select', { id: 'new-user-role' }, ...ROLES.map((r) => h('option', { value: r }, t(`role.${r}`))));
  const form = h('form', { class: 'card stack', id: 'new-user', 'aria-labelledby': 'new-user-title' },
    h('h3', { id: 'new-user-title' }, t('users.create')),
    field('new-user-email', 'users.email', email),
    field('new-user-role', 'users.role', role),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t('users.createButton'))));
  const list = h('div', { id: 'users-list' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const created = await ctx.api.post('/v1/admin/users', { email: email.value.trim(), role: role.value });
      once = { part: 'users', box: secretBox('one-time-password', 'users.oneTime', { email: created.email }, created.password) };
      form.reset();
      await show();
      announce(t('users.created', { email: created.email }));
    } catch (e) {
      fail(region, e);
    }
  });
  append(container, onceBox('users'), form, region, list);
  await listUsers(list, region);
}

async function listUsers(list, region) {
  const answer = await ctx.api.get('/v1/admin/users');
  replace(list, table('users.caption', [
    { label: 'users.email', cell: (u) => u.email },
    { label: 'users.role', cell: (u) => roleSelect(u, list, region) },
    { label: 'users.state', cell: (u) => t(u.disabled ? 'users.disabled' : 'users.active') },
    { label: 'users.lastSignIn', cell: (u) => when(u.last_sign_in_at) },
    { label: 'admin.actions', cell: (u) => (u.id === ctx.session.user.id ? h('span', { class: 'muted' }, t('users.you'))
      : h('div', { class: 'row' },
        h('button', { type: 'button', class: 'small toggle-user',
          'aria-label': t(u.disabled ? 'users.enable.named' : 'users.disable.named', { email: u.email }),
          onclick: () => setDisabled(u, !u.disabled, list, region) }, t(u.disabled ? 'users.enable' : 'users.disable')),
        h('button', { type: 'button', class: 'small danger erase-user', 'aria-label': t('users.erase.named', { email: u.email }),
          onclick: () => eraseData(u, region) }, t('users.erase')),
        h('button', { type: 'button', class: 'small danger delete-user', 'aria-label': t('users.delete.named', { email: u.email }),
          onclick: () => deleteUser(u, list, region) }, t('users.delete')))) },
  ], answer.data, { id: 'users-table', rowId: (u) => u.id }));
}

/** Disabling keeps the account and its data, ends its sessions and refuses its sign-ins until enabled again. */
async function setDisabled(user, disabled, list, region) {
  try {
    await ctx.api.patch(`/v1/admin/users/${encodeURIComponent(user.id)}`, { disabled });
    say(region, t(disabled ? 'users.disabledNow' : 'users.enabledNow', { email: user.email }));
    await listUsers(list, region);
  } catch (e) {
    fail(region, e);
  }
}

/** The person's conversations deleted and their data key destroyed (DELETE /v1/admin/users/{id}/data). */
async function eraseData(user, region) {
  if (!confirm(t('users.erase.confirm', { email: user.email }))) return;
  try {
    const erased = await ctx.api.del(`/v1/admin/users/${encodeURIComponent(user.id)}/data`);
    say(region, t('users.erased', { email: user.email, conversations: erased.conversations }));
  } catch (e) {
    fail(region, e);
  }
}

function roleSelect(user, list, region) {
  const select = h('select', { 'aria-label': t('users.role.named', { email: user.email }), class: 'role-select' },
    ...ROLES.map((r) => h('option', { value: r, selected: r === user.role }, t(`role.${r}`))));
  select.addEventListener('change', async () => {
    try {
      await ctx.api.patch(`/v1/admin/users/${encodeURIComponent(user.id)}`, { role: select.value });
      user.role = select.value;
      say(region, t('users.roleChanged', { email: user.email, role: t(`role.${select.value}`) }));
    } catch (e) {
      select.value = user.role;
      fail(region, e);
    }
  });
  return select;
}

async function deleteUser(user, list, region) {
  if (!confirm(t('users.delete.confirm', { email: user.email }))) return;
  try {
    await ctx.api.del(`/v1/admin/users/${encodeURIComponent(user.id)}`);
    say(region, t('users.deleted', { email: user.email }));
    await listUsers(list, region);
  } catch (e) {
    fail(region, e);
  }
}

// API keys.

function keyState(k) {
  if (k.revoked_at) return 'revoked';
  if (k.expires_at && k.expires_at * 1000 <= Date.now()) return 'expired';
  return 'active';
}

async function keys(container) {
  const region = status('keys-status');
  const name = h('input', { id: 'new-key-name', type: 'text', maxlength: 100, autocomplete: 'off' });
  const scopes = SCOPES.map((s) => h('input', { type: 'checkbox', id: `new-key-scope-${s}`, value: s, checked: s === 'chat' }));
  const expiry = h('select', { id: 'new-key-expiry' },
    ...EXPIRIES.map((e) => h('option', { value: e }, t(e ? `keys.expiry.${e}` : 'keys.expiry.never'))));
  const form = h('form', { class: 'card stack', id: 'new-key', 'aria-labelledby': 'new-key-title' },
    h('h3', { id: 'new-key-title' }, t('keys.create')),
    field('new-key-name', 'keys.name', name),
    h('fieldset', { class: 'scopes' }, h('legend', {}, t('keys.scopes')),
      ...SCOPES.map((s, i) => h('label', { for: `new-key-scope-${s}`, class: 'inline' }, scopes[i], t(`keys.scope.${s}`)))),
    field('new-key-expiry', 'keys.expiry', expiry),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', id: 'new-key-submit' }, t('keys.createButton'))));
  const list = h('div', { id: 'keys-list' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { scopes: scopes.filter((c) => c.checked).map((c) => c.value) };
    if (name.value.trim()) body.name = name.value.trim();
    if (expiry.value) body.expires_in = expiry.value;
    try {
      const created = await ctx.api.post('/v1/admin/keys', body);
      once = { part: 'keys', box: secretBox('new-key-secret', 'keys.secret', { name: created.name || created.id }, created.key) };
      await show();
      document.getElementById('new-key-secret')?.focus();
      announce(t('keys.created'));
    } catch (e) {
      fail(region, e);
    }
  });
  append(container, onceBox('keys'), form, region, list);
  await listKeys(list, region);
}

async function listKeys(list, region) {
  const answer = await ctx.api.get('/v1/admin/keys');
  replace(list, table('keys.caption', [
    { label: 'keys.name', cell: (k) => k.name || '—' },
    { label: 'keys.key', cell: (k) => h('code', { class: 'key-prefix' }, `sk-souv-${k.id}_…`) },
    { label: 'keys.scopes', cell: (k) => k.scopes.map((s) => t(`keys.scope.${s}`)).join(', ') },
    { label: 'keys.state', cell: (k) => h('span', { class: `state ${keyState(k)}` }, t(`keys.state.${keyState(k)}`)) },
    { label: 'keys.createdAt', cell: (k) => when(k.created_at) },
    { label: 'keys.lastUsed', cell: (k) => when(k.last_used_at) },
    { label: 'keys.expires', cell: (k) => (k.expires_at ? when(k.expires_at) : t('keys.expiry.never')) },
    { label: 'admin.actions', cell: (k) => (keyState(k) === 'revoked' ? null
      : h('button', { type: 'button', class: 'small danger revoke', 'aria-label': t('keys.revoke.named', { name: k.name || k.id }),
        onclick: () => revoke(k, list, region) }, t('keys.revoke'))) },
  ], answer.data, { id: 'keys-table', rowId: (k) => k.id }));
}

async function revoke(key, list, region) {
  if (!confirm(t('keys.revoke.confirm', { name: key.name || key.id }))) return;
  try {
    await ctx.api.del(`/v1/admin/keys/${encodeURIComponent(key.id)}`);
    say(region, t('keys.revoked', { name: key.name || key.id }));
    await listKeys(list, region);
  } catch (e) {
    fail(region, e);
  }
}

// Backends and the residency policy.

function codes(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

async function policy(container) {
  const region = status('policy-status');
  const answer = await ctx.api.get('/v1/admin/policy');
  const backends = h('div', { id: 'policy-backends' });
  const models = await ctx.api.get('/v1/models').then((m) => m.data, () => []);
  const locations = Object.fromEntries(models.map((m) => [m.backend, m.location]));
  const drawBackends = (p) => replace(backends, table('policy.backends', [
    { label: 'policy.backend', cell: (b) => h('strong', {}, b.name) },
    { label: 'policy.remote', cell: (b) => yes(b.remote) },
    { label: 'policy.location', cell: (b) => (locations[b.name] ? place(locations[b.name]) : b.location) },
    { label: 'policy.models', cell: (b) => b.models.join(', ') },
    { label: 'policy.allowed', cell: (b) => (b.allowed ? h('span', { class: 'ok' }, t('policy.allowedYes'))
      : h('span', { class: 'error' }, b.refusal)) },
  ], p.backends, { id: 'policy-backends-table', rowId: (b) => b.name }));
  drawBackends(answer);
  const remote = h('input', { type: 'checkbox', id: 'policy-remote', checked: answer.remote_backends });
  const lists = {};
  for (const name of ['jurisdictions', 'countries', 'operators']) {
    lists[name] = h('input', { type: 'text', id: `policy-${name}`, value: answer[name].join(', '),
      'aria-describedby': `policy-${name}-help`, autocomplete: 'off' });
  }
  const form = h('form', { class: 'card stack', id: 'policy-form', 'aria-labelledby': 'policy-form-title' },
    h('h3', { id: 'policy-form-title' }, t('policy.title')),
    h('p', { class: 'muted small' }, t('policy.intro')),
    h('label', { for: 'policy-remote', class: 'inline' }, remote, t('policy.remoteBackends')),
    field('policy-jurisdictions', 'policy.jurisdictions', lists.jurisdictions, 'policy.jurisdictions.help'),
    field('policy-countries', 'policy.countries', lists.countries, 'policy.countries.help'),
    field('policy-operators', 'policy.operators', lists.operators, 'policy.operators.help'),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const saved = await ctx.api.put('/v1/admin/policy', { remote_backends: remote.checked,
        jurisdictions: codes(lists.jurisdictions.value), countries: codes(lists.countries.value),
        operators: codes(lists.operators.value) });
      drawBackends(saved);
      say(region, t('policy.saved'));
    } catch (e) {
      fail(region, e);
    }
  });
  append(container, h('h3', {}, t('policy.backends')), backends, form, region);
}

// Retention.

async function retention(container) {
  const region = status('retention-status');
  const answer = await ctx.api.get('/v1/admin/retention');
  const days = h('input', { type: 'number', id: 'retention-days', min: 1, max: 36500, step: 1, inputmode: 'numeric',
    value: answer.days ?? '', 'aria-describedby': 'retention-days-help' });
  const current = h('p', { id: 'retention-current' });
  const describe = (d) => { current.textContent = d === null ? t('retention.forever') : t('retention.current', { days: d }); };
  describe(answer.days);
  const form = h('form', { class: 'card stack', id: 'retention-form' },
    current,
    field('retention-days', 'retention.days', days, 'retention.help'),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const saved = await ctx.api.put('/v1/admin/retention', { days: days.value === '' ? null : Number(days.value) });
      describe(saved.days);
      say(region, t('retention.saved'));
    } catch (e) {
      fail(region, e);
    }
  });
  append(container, form, region);
}

// The audit log.

async function audit(container) {
  const result = h('div', { id: 'audit-result', role: 'status', 'aria-live': 'polite', class: 'audit-result' });
  const verify = h('button', { type: 'button', class: 'primary', id: 'audit-verify' }, t('audit.verify'));
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    replace(result, h('p', { class: 'muted' }, t('audit.verifying')));
    try {
      const v = await ctx.api.post('/v1/audit/verify');
      replace(result, verification(v));
    } catch (e) {
      replace(result, h('p', { class: 'error' }, e.message));
    } finally {
      verify.disabled = false;
    }
  });
  const names = await ctx.api.get('/v1/admin/users').then(
    (u) => Object.fromEntries(u.data.map((user) => [user.id, user.email])), () => ({}));
  const rows = h('tbody', {});
  const more = h('button', { type: 'button', id: 'audit-more', hidden: true }, t('audit.more'));
  let before = null;
  const columns = [
    { label: 'audit.seq', cell: (e) => String(e.seq) },
    { label: 'audit.time', cell: (e) => when(e.time) },
    { label: 'audit.actor', cell: (e) => names[e.actor] || e.actor },
    { label: 'audit.action', cell: (e) => h('code', {}, e.action) },
    { label: 'audit.resource', cell: (e) => e.resource ?? '—' },
    { label: 'audit.backend', cell: (e) => (e.backend ? `${e.backend} — ${e.backend_location ?? ''}` : '—') },
    { label: 'audit.outcome', cell: (e) => h('span', { class: `outcome ${e.outcome.toLowerCase()}` }, t(`audit.outcome.${e.outcome}`)) },
    { label: 'audit.hash', cell: (e) => h('code', { title: e.hash }, `${e.hash.slice(0, 12)}…`) },
  ];
  const load = async () => {
    const page = await ctx.api.get(`/v1/audit/entries?limit=50${before === null ? '' : `&before=${before}`}`);
    for (const e of page.data) {
      append(rows, h('tr', { dataset: { seq: String(e.seq) } },
        ...columns.map((c) => h('td', { 'data-label': t(c.label) }, c.cell(e)))));
    }
    before = page.next_before;
    more.hidden = !page.has_more;
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await load();
    } finally {
      more.disabled = false;
    }
  });
  append(container,
    h('div', { class: 'card stack' },
      h('p', { class: 'muted small' }, t('audit.intro')),
      h('div', { class: 'row' }, verify), result),
    h('div', { class: 'table-wrap' }, h('table', { class: 'facts-table', id: 'audit-table' },
      h('caption', { class: 'visually-hidden' }, t('admin.audit')),
      h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, t(c.label))))),
      rows)),
    more);
  await load();
}

function verification(v) {
  const last = v.last_signed_checkpoint;
  const checkpoint = last ? t('audit.checkpointValue', { time: when(last.at), entries: last.entry_count }) : t('audit.noCheckpoint');
  return h('div', { class: v.chain_intact ? 'verdict intact' : 'verdict broken' },
    h('p', { id: 'audit-verdict' }, h('strong', {}, t(v.chain_intact ? 'audit.intact' : 'audit.broken'))),
    facts([
      ['audit.entriesChecked', String(v.entries_checked)],
      ['audit.checkpointsChecked', String(v.checkpoints_checked)],
      ['audit.firstBroken', v.first_broken_entry === null ? null : String(v.first_broken_entry)],
      ['audit.reason', v.reason],
      ['audit.lastCheckpoint', checkpoint],
    ]));
}

const RENDER = { users, keys, policy, retention, audit,
  usage: (container) => usagePart(container, ctx), limits: (container) => limitsPart(container, ctx),
  sso: (container) => signOnPart(container, ctx), groups: (container) => groupsPart(container, ctx) };

function onceBox(name) {
  if (!once || once.part !== name) return null;
  const box = once.box;
  // Shown this once: the next render of any part no longer has it.
  once = null;
  return box;
}

async function show() {
  const parts = Object.keys(PARTS).filter(allowed);
  const nav = h('nav', { class: 'subnav', 'aria-label': t('admin.sections') },
    ...parts.map((name) => h('a', { href: `#/admin/${name}`, 'aria-current': name === part ? 'page' : null },
      t(PARTS[name].label))));
  const content = h('section', { class: 'admin-part', id: `admin-${part}`, 'aria-labelledby': 'admin-part-title' },
    h('h2', { id: 'admin-part-title', tabindex: '-1' }, t(PARTS[part].label)));
  replace(root, h('h1', {}, t('admin.title')), nav, content);
  try {
    await RENDER[part](content);
  } catch (e) {
    append(content, h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

export const admin = {
  async render(main, context) {
    ctx = context;
    const parts = Object.keys(PARTS).filter(allowed);
    if (!parts.length) {
      replace(main, h('p', { class: 'card muted' }, t('admin.noAccess')));
      return;
    }
    const asked = ctx.route.params[0];
    part = parts.includes(asked) ? asked : parts[0];
    root = h('div', { class: 'page admin', id: 'admin' });
    replace(main, root);
    await show();
    root.querySelector('#admin-part-title').focus();
  },
  leave() {
    root = null;
    once = null;
    part = null;
  },
};
