// The organization's single sign-on in the administration, over /v1/admin/sso and /v1/admin/sign-in:
// its own OpenID provider (issuer, client, the operator's secret variable or none, the email domains
// it signs in, the groups that give each role), and whether local passwords still sign in.

import { t } from './i18n.js';
import { h, append, replace } from './dom.js';

const ROLES = ['owner', 'admin', 'member', 'auditor'];

function list(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function field(id, labelKey, input, helpKey) {
  return h('div', { class: 'field' },
    h('label', { for: id }, t(labelKey)), input,
    helpKey ? h('p', { class: 'muted small', id: `${id}-help` }, t(helpKey)) : null);
}

function input(id, value, attributes = {}) {
  return h('input', { id, type: 'text', value: value ?? '', autocomplete: 'off', ...attributes });
}

export async function signOnPart(container, ctx) {
  const region = h('p', { id: 'sso-status', role: 'status', class: 'status' });
  const say = (text, error) => {
    region.className = error ? 'error' : 'status';
    region.setAttribute('role', error ? 'alert' : 'status');
    region.textContent = text;
  };
  const [answer, signIn] = await Promise.all([ctx.api.get('/v1/admin/sso'), ctx.api.get('/v1/admin/sign-in')]);
  const p = answer.provider;
  const fields = {
    issuer: input('sso-issuer', p?.issuer, { type: 'url', required: true, 'aria-describedby': 'sso-issuer-help' }),
    client_id: input('sso-client-id', p?.client_id, { required: true }),
    client_secret: input('sso-client-secret', p?.client_secret, { placeholder: 'env:SOUVERAIN_OIDC_…',
      'aria-describedby': 'sso-client-secret-help' }),
    provider_name: input('sso-provider-name', p?.provider_name, { required: true, maxlength: 200 }),
    domains: input('sso-domains', p?.domains.join(', '), { required: true, 'aria-describedby': 'sso-domains-help' }),
    role_claim: input('sso-role-claim', p?.role_claim ?? 'groups'),
  };
  const roles = Object.fromEntries(ROLES.map((r) => [r, input(`sso-role-${r}`, (p?.roles[r] ?? []).join(', '))]));
  const state = h('p', { id: 'sso-state' });
  const describe = (provider) => replace(state, provider
    ? t('sso.state.set', { name: provider.provider_name, domains: provider.domains.join(', ') })
    : t('sso.state.none'));
  describe(p);
  const redirect = `${location.origin}/auth/oidc/callback`;
  const remove = h('button', { type: 'button', class: 'danger', id: 'sso-remove', hidden: !p }, t('sso.remove'));
  const form = h('form', { class: 'card stack', id: 'sso-form', 'aria-labelledby': 'sso-form-title' },
    h('h3', { id: 'sso-form-title' }, t('sso.title')),
    state,
    h('p', { class: 'muted small' }, t('sso.redirect'), ' ', h('code', { id: 'sso-redirect' }, redirect)),
    field('sso-issuer', 'sso.issuer', fields.issuer, 'sso.issuer.help'),
    field('sso-client-id', 'sso.clientId', fields.client_id),
    field('sso-client-secret', 'sso.clientSecret', fields.client_secret, 'sso.clientSecret.help'),
    field('sso-provider-name', 'sso.providerName', fields.provider_name),
    field('sso-domains', 'sso.domains', fields.domains, 'sso.domains.help'),
    field('sso-role-claim', 'sso.roleClaim', fields.role_claim),
    h('fieldset', { class: 'stack' }, h('legend', {}, t('sso.roles')),
      h('p', { class: 'muted small' }, t('sso.roles.help')),
      ...ROLES.map((r) => field(`sso-role-${r}`, `role.${r}`, roles[r]))),
    h('div', { class: 'row end' }, remove, h('button', { type: 'submit', class: 'primary', id: 'sso-save' }, t('common.save'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      issuer: fields.issuer.value.trim(),
      client_id: fields.client_id.value.trim(),
      client_secret: fields.client_secret.value.trim() || null,
      provider_name: fields.provider_name.value.trim(),
      domains: list(fields.domains.value),
      role_claim: fields.role_claim.value.trim() || null,
      roles: Object.fromEntries(ROLES.map((r) => [r, list(roles[r].value)]).filter(([, groups]) => groups.length)),
    };
    try {
      const saved = await ctx.api.put('/v1/admin/sso', body);
      describe(saved.provider);
      remove.hidden = false;
      say(t('sso.saved'));
    } catch (e) {
      say(e.message, true);
    }
  });
  remove.addEventListener('click', async () => {
    if (!confirm(t('sso.remove.confirm'))) return;
    try {
      await ctx.api.del('/v1/admin/sso');
      describe(null);
      remove.hidden = true;
      say(t('sso.removed'));
    } catch (e) {
      say(e.message, true);
    }
  });

  const passwords = h('input', { type: 'checkbox', id: 'sso-passwords', checked: signIn.passwords });
  const passwordsForm = h('form', { class: 'card stack', id: 'sso-passwords-form' },
    h('label', { for: 'sso-passwords', class: 'inline' }, passwords, t('sso.passwords')),
    h('p', { class: 'muted small' }, t('sso.passwords.help')),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
  passwordsForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const saved = await ctx.api.put('/v1/admin/sign-in', { passwords: passwords.checked });
      say(t(saved.passwords ? 'sso.passwords.on' : 'sso.passwords.off'));
    } catch (e) {
      passwords.checked = !passwords.checked;
      say(e.message, true);
    }
  });
  append(container, form, passwordsForm, region);
}
