// The page: the session first (sign in, or the app), then a header with the navigation and a
// hash router (#/name/params...) that renders one view at a time into <main>.
//
// A view is { render(main, ctx) } with ctx = { api, t, session, route, navigate(hash),
// conversationId() (the chat's open conversation, or null) }; it may
// also have onLanguageChange(), called instead of rendering it again when the language changes,
// and leave(), called when another view replaces it.
// A navigation entry shows a view's link to the roles it names (every role when it names none).

import { api, setCsrfToken } from './api.js';
import { t, language, languages, setLanguage, onLanguageChange, applyTranslations } from './i18n.js';
import { theme, toggleTheme } from './theme.js';
import { h, announce, append, replace } from './dom.js';
import { chat } from './chat.js';
import { sovereignty } from './sovereignty.js';
import { report } from './report.js';
import { admin } from './admin.js';
import { catalogue } from './catalogue.js';
import { libraries } from './libraries.js';
import { ownUsage } from './usage.js';
import { batch } from './batch.js';

export const views = { chat, libraries, batch, report, admin, catalogue };

export const navigation = [
  { view: 'chat', label: 'nav.chat', roles: ['owner', 'admin', 'member'] },
  { view: 'libraries', label: 'nav.libraries', roles: ['owner', 'admin', 'member'] },
  { view: 'batch', label: 'nav.batch', roles: ['owner', 'admin', 'member'] },
  { view: 'report', label: 'nav.report', roles: ['owner', 'admin', 'auditor'] },
  { view: 'admin', label: 'nav.admin', roles: ['owner', 'admin', 'auditor'] },
  { view: 'catalogue', label: 'nav.catalogue', roles: ['owner', 'admin'] },
];

const LANGUAGE_NAMES = { en: 'English', fr: 'Français' };

let session = null;
let current = null;

const main = document.getElementById('main');
const header = document.getElementById('top');

function navigate(hash) {
  if (location.hash === hash) {
    route();
  } else {
    location.hash = hash;
  }
}

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const name = views[parts[0]] ? parts[0] : home();
  return { name, params: views[parts[0]] ? parts.slice(1) : [] };
}

/** Where a bare address leads: the first view the person's role shows (for an auditor, who may not chat, the report). */
function home() {
  return navigation.find(visible).view;
}

function visible(entry) {
  return !entry.roles || entry.roles.includes(session.user.role);
}

function renderNavigation(active) {
  const nav = document.getElementById('nav');
  replace(nav, ...navigation.filter(visible).map((entry) => h('a', {
    href: `#/${entry.view}`,
    'data-i18n': entry.label,
    'aria-current': entry.view === active ? 'page' : null,
  }, t(entry.label))));
}

async function route() {
  if (!session) return;
  const r = parseHash();
  const view = views[r.name];
  const ctx = { api, t, session, route: r, navigate, conversationId: chat.conversationId };
  renderNavigation(r.name);
  if (current && current.view !== view && current.view.leave) current.view.leave();
  current = { view, ctx };
  try {
    await view.render(main, ctx);
  } catch (e) {
    replace(main, h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

function renderTools() {
  const next = languages.find((l) => l !== language());
  const switcher = document.getElementById('language');
  switcher.textContent = LANGUAGE_NAMES[next];
  switcher.lang = next;
  switcher.setAttribute('aria-label', t('app.language', { language: LANGUAGE_NAMES[next] }));
  const themeButton = document.getElementById('theme');
  themeButton.textContent = theme() === 'dark' ? '☀' : '☾';
  themeButton.setAttribute('aria-label', t(theme() === 'dark' ? 'app.theme.light' : 'app.theme.dark'));
  themeButton.title = themeButton.getAttribute('aria-label');
}

/**
 * The organization's identity provider, when the server has one: "Sign in with <provider>" above
 * the password fields and, after a sign-out, the provider's own sign-out; when organizations have
 * their own, "Sign in with my organization's provider" below them.
 */
async function offerProvider(form, ended, byOrganization) {
  let providers;
  try {
    providers = await api.get('/auth/providers');
  } catch {
    return;
  }
  // Organizations with their own provider: the address typed says which one signs the person in.
  if (providers.organizations_sign_on) {
    append(form, h('button', { type: 'button', id: 'signin-organization-sso', class: 'ghost',
      'data-i18n': 'signin.sso.organization', onclick: byOrganization }));
    applyTranslations(form);
  }
  const oidc = providers.oidc;
  if (!oidc) return;
  const link = h('a', { id: 'signin-sso', class: 'sso', href: oidc.login_url });
  const label = () => { link.textContent = t('signin.sso', { provider: oidc.name }); };
  label();
  const stop = onLanguageChange(() => (link.isConnected ? label() : stop()));
  form.querySelector('.muted').after(link, h('p', { class: 'muted or', 'data-i18n': 'signin.or' }));
  if (ended && oidc.end_session_url) {
    const out = h('a', { id: 'signout-sso', href: oidc.end_session_url });
    out.textContent = t('signin.sso.signout', { provider: oidc.name });
    append(form, out);
  }
  applyTranslations(form);
}

/**
 * "Sign in with my organization's provider": the provider that signs in the address typed, when
 * the person's organization has one of its own; else the form says to use the password.
 */
async function organizationProvider(email, error) {
  error.textContent = '';
  if (!email.checkValidity() || !email.value.trim()) {
    error.textContent = t('signin.sso.email');
    email.focus();
    return;
  }
  try {
    const providers = await api.get(`/auth/providers?email=${encodeURIComponent(email.value.trim())}`);
    if (providers.organization_oidc) {
      location.assign(providers.organization_oidc.login_url);
    } else {
      error.textContent = t('signin.sso.noneForAddress');
    }
  } catch (e) {
    error.textContent = e.message;
  }
}

function signInForm(notice, ended) {
  const error = h('p', { class: 'error', role: 'alert' }, notice);
  const email = h('input', { id: 'signin-email', type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'signin-password', type: 'password', name: 'password',
    autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', 'data-i18n': 'signin.title' }),
    h('p', { class: 'muted', 'data-i18n': 'signin.intro' }),
    // The session cookie is Secure: over plain HTTP from another machine the browser would drop it.
    window.isSecureContext ? null : h('p', { class: 'error', id: 'signin-insecure', 'data-i18n': 'signin.insecure' }),
    h('label', { for: 'signin-email', 'data-i18n': 'signin.email' }), email,
    h('label', { for: 'signin-password', 'data-i18n': 'signin.password' }), password,
    error,
    h('button', { type: 'submit', class: 'primary', 'data-i18n': 'signin.submit' }));
  offerProvider(form, ended, () => organizationProvider(email, error));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      start(await api.post('/auth/login', { email: email.value.trim(), password: password.value }));
    } catch (e) {
      error.textContent = e.status === 401 ? t('signin.failed') : e.message;
      password.select();
    }
  });
  return form;
}

/** The sign-in form in place of the app, with {@code notice} (why it shows) when there is one. */
function showSignIn(notice, ended) {
  session = null;
  setCsrfToken(null);
  header.hidden = false;
  replace(document.getElementById('nav'));
  document.getElementById('account').hidden = true;
  const form = signInForm(notice, ended);
  replace(main, h('div', { class: 'centered' }, form));
  applyTranslations(main);
  form.querySelector('input').focus();
}

function accountDialog() {
  const usage = h('div', { id: 'account-usage' });
  ownUsage(api, session.user.id).then((box) => replace(usage, box));
  const error = h('p', { class: 'error', role: 'alert' });
  const done = h('p', { class: 'ok', role: 'status' });
  const currentPassword = h('input', { id: 'current-password', type: 'password', autocomplete: 'current-password', required: true });
  const newPassword = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const form = h('form', { method: 'dialog', class: 'stack' },
    h('h3', { 'data-i18n': 'account.password' }),
    h('label', { for: 'current-password', 'data-i18n': 'account.current' }), currentPassword,
    h('label', { for: 'new-password', 'data-i18n': 'account.new' }), newPassword,
    error, done,
    h('button', { type: 'submit', class: 'primary', 'data-i18n': 'account.change' }));
  const dialog = h('dialog', { class: 'card', 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title', 'data-i18n': 'account.title' }),
    h('p', { class: 'muted' }, session.user.email, ' · ', h('span', { 'data-i18n': `role.${session.user.role}` })),
    usage,
    form,
    h('div', { class: 'row end' },
      h('button', { type: 'button', id: 'sign-out', 'data-i18n': 'account.signout', onclick: signOut }),
      h('button', { type: 'button', class: 'ghost', 'data-i18n': 'common.close', onclick: () => dialog.close() })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    done.textContent = '';
    try {
      await api.post('/auth/password', { current_password: currentPassword.value, new_password: newPassword.value });
      form.reset();
      done.textContent = t('account.changed');
    } catch (e) {
      error.textContent = e.message;
    }
  });
  dialog.addEventListener('close', () => dialog.remove());
  applyTranslations(dialog);
  return dialog;
}

async function signOut() {
  try {
    await api.post('/auth/logout');
  } finally {
    document.querySelector('dialog[open]')?.close();
    if (current && current.view.leave) current.view.leave();
    current = null;
    showSignIn(undefined, true);
    announce(t('account.signedout'));
  }
}

function start(signedIn) {
  session = signedIn;
  setCsrfToken(signedIn.csrf_token);
  sovereignty.start({ api, t, session, navigate, conversationId: chat.conversationId });
  header.hidden = false;
  document.getElementById('account').hidden = false;
  route();
}

document.getElementById('language').addEventListener('click', () => {
  setLanguage(languages.find((l) => l !== language()));
});
document.getElementById('theme').addEventListener('click', () => {
  toggleTheme();
  renderTools();
});
document.getElementById('account').addEventListener('click', () => {
  const dialog = accountDialog();
  append(document.body, dialog);
  dialog.showModal();
});
window.addEventListener('hashchange', route);
document.addEventListener('souverain:unauthenticated', () => {
  if (!session) return;
  if (current && current.view.leave) current.view.leave();
  current = null;
  showSignIn(t('signin.expired'));
});
// The skip link moves the focus without touching the address, which the router reads.
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
onLanguageChange(() => {
  renderTools();
  if (!session) return;
  renderNavigation(parseHash().name);
  if (current && current.view.onLanguageChange) {
    current.view.onLanguageChange();
  } else {
    route();
  }
});

/**
 * Why single sign-on sent the browser back here refused (?sign_in_refused=reason), in the page's
 * language; the address is cleaned so that a reload does not say it again. Only known reasons are
 * said: the address cannot make the page say anything else.
 */
function ssoRefusal() {
  const params = new URLSearchParams(location.search);
  const reason = params.get('sign_in_refused');
  if (reason === null) return undefined;
  history.replaceState(null, '', location.pathname + location.hash);
  return SSO_REFUSALS.includes(reason) ? t(`signin.sso.refused.${reason}`) : t('signin.sso.refused');
}

const SSO_REFUSALS = ['expired', 'provider', 'token', 'organization', 'role', 'account', 'unavailable'];

renderTools();
applyTranslations(document);
const refusal = ssoRefusal();
api.get('/auth/session').then(start, (e) => {
  if (e.status === 401) {
    showSignIn(refusal);
  } else {
    header.hidden = false;
    replace(main, h('p', { class: 'error', role: 'alert' }, e.message));
  }
});
