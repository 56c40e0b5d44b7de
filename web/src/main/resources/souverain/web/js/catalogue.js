// Catalogue enrichment (POST /v1/catalogue/jobs): a PrestaShop shop's product texts written by a
// model of this server. The form takes the shop, its webservice key, the languages and fields; a
// dry run (the default) shows its proposals in a review table first, and "Write to the shop"
// writes exactly those (POST /v1/catalogue/jobs/{id}/apply). The key stays in the form's field,
// never in the page's text; the server keeps it encrypted only while a job runs.

import { t } from './i18n.js';
import { h, announce, append, replace } from './dom.js';
import { table } from './present.js';

const FIELDS = ['description_short', 'description', 'meta_title', 'meta_description'];
const POLL_MS = 1000;

let ctx = null;
let root = null;
let polling = null;

function field(id, labelKey, input, helpKey) {
  return h('div', { class: 'field' },
    h('label', { for: id }, t(labelKey)), input,
    helpKey ? h('p', { class: 'muted small', id: `${id}-help` }, t(helpKey)) : null);
}

function say(region, text, error) {
  region.className = error ? 'status error' : 'status';
  region.setAttribute('role', error ? 'alert' : 'status');
  region.textContent = text;
}

/** The job's status and counts in words. */
function progress(job) {
  const c = job.counts;
  const done = job.settings.dry_run ? c.fields_proposed : c.fields_written;
  return t(`catalogue.status.${job.status}`) + ' — ' + t(job.settings.dry_run ? 'catalogue.counts.proposed'
    : 'catalogue.counts.written', { done: c.products_done, total: c.products_total, fields: done,
    skipped: c.fields_skipped, failed: c.fields_failed }) + (job.error ? ` (${job.error})` : '');
}

function stopPolling() {
  if (polling) clearTimeout(polling);
  polling = null;
}

/** Follows {@code job} until it ends, saying its progress in {@code region}; resolves with the ended job. */
function follow(job, region) {
  stopPolling();
  return new Promise((resolve, reject) => {
    const tick = async () => {
      try {
        const now = await ctx.api.get(`/v1/catalogue/jobs/${encodeURIComponent(job.id)}`);
        if (!root) return;
        say(region, progress(now), now.status === 'failed');
        if (now.status === 'queued' || now.status === 'running') {
          polling = setTimeout(tick, POLL_MS);
        } else {
          polling = null;
          resolve(now);
        }
      } catch (e) {
        reject(e);
      }
    };
    say(region, progress(job));
    tick();
  });
}

async function reviewTable(job, container, key, region) {
  const answer = await ctx.api.get(`/v1/catalogue/jobs/${encodeURIComponent(job.id)}/review?limit=500`);
  const write = h('button', { type: 'button', class: 'primary', id: 'catalogue-apply',
    disabled: answer.data.length === 0 }, t('catalogue.apply'));
  write.addEventListener('click', async () => {
    write.disabled = true;
    try {
      const applied = await ctx.api.post(`/v1/catalogue/jobs/${encodeURIComponent(job.id)}/apply`, { key: key() });
      const ended = await follow(applied, region);
      announce(progress(ended));
      region.focus();
    } catch (e) {
      write.disabled = false;
      say(region, e.message, true);
    }
  });
  replace(container,
    h('h2', { id: 'catalogue-review-title', tabindex: '-1' }, t('catalogue.review')),
    h('p', { class: 'muted' }, t('catalogue.reviewIntro', { count: answer.data.length })),
    table('catalogue.reviewCaption', [
      { label: 'catalogue.product', cell: (r) => String(r.product) },
      { label: 'catalogue.language', cell: (r) => r.language },
      { label: 'catalogue.field', cell: (r) => t(`catalogue.field.${r.field}`) },
      { label: 'catalogue.before', cell: (r) => (r.before ? h('span', { class: 'before' }, r.before) : h('span', { class: 'muted' }, t('catalogue.empty'))) },
      { label: 'catalogue.after', cell: (r) => h('span', { class: 'after' }, r.after) },
    ], answer.data, { id: 'catalogue-review-table', rowId: (r) => `${r.product}-${r.language}-${r.field}` }),
    answer.has_more ? h('p', { class: 'muted' }, t('catalogue.more')) : null,
    h('div', { class: 'row end' }, write));
  container.querySelector('#catalogue-review-title').focus();
}

function form(reviewBox) {
  const shop = h('input', { id: 'catalogue-shop', type: 'url', required: true, autocomplete: 'url',
    placeholder: 'https://shop.example' });
  const key = h('input', { id: 'catalogue-key', type: 'password', required: true, autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': 'catalogue-key-help' });
  const languages = h('input', { id: 'catalogue-languages', type: 'text', required: true, value: 'fr,en',
    pattern: '[a-zA-Z]{2,3}(\\s*,\\s*[a-zA-Z]{2,3})*', 'aria-describedby': 'catalogue-languages-help' });
  const boxes = FIELDS.map((f) => h('input', { type: 'checkbox', id: `catalogue-field-${f}`, value: f, checked: true }));
  const products = h('input', { id: 'catalogue-products', type: 'text', autocomplete: 'off',
    'aria-describedby': 'catalogue-products-help' });
  const tone = h('input', { id: 'catalogue-tone', type: 'text', maxlength: 200, autocomplete: 'off' });
  const overwrite = h('input', { type: 'checkbox', id: 'catalogue-overwrite' });
  const dryRun = h('input', { type: 'checkbox', id: 'catalogue-dry-run', checked: true });
  const region = h('p', { id: 'catalogue-status', role: 'status', 'aria-live': 'polite', class: 'status', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'catalogue-submit' }, t('catalogue.start'));
  const element = h('form', { class: 'card stack', id: 'catalogue-form', 'aria-labelledby': 'catalogue-form-title' },
    h('h2', { id: 'catalogue-form-title' }, t('catalogue.job')),
    field('catalogue-shop', 'catalogue.shop', shop),
    field('catalogue-key', 'catalogue.key', key, 'catalogue.keyHelp'),
    field('catalogue-languages', 'catalogue.languages', languages, 'catalogue.languagesHelp'),
    h('fieldset', { class: 'scopes' }, h('legend', {}, t('catalogue.fields')),
      ...FIELDS.map((f, i) => h('label', { for: `catalogue-field-${f}`, class: 'inline' }, boxes[i], t(`catalogue.field.${f}`)))),
    field('catalogue-products', 'catalogue.products', products, 'catalogue.productsHelp'),
    field('catalogue-tone', 'catalogue.tone', tone),
    h('label', { for: 'catalogue-overwrite', class: 'inline' }, overwrite, t('catalogue.overwrite')),
    h('label', { for: 'catalogue-dry-run', class: 'inline' }, dryRun, t('catalogue.dryRun')),
    h('div', { class: 'row end' }, submit));
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    const fields = boxes.filter((b) => b.checked).map((b) => b.value);
    if (!fields.length) {
      say(region, t('catalogue.noField'), true);
      boxes[0].focus();
      return;
    }
    const body = { shop: shop.value.trim(), key: key.value.trim(),
      languages: languages.value.split(',').map((l) => l.trim()).filter(Boolean), fields,
      overwrite: overwrite.checked, dry_run: dryRun.checked };
    if (products.value.trim()) body.products = products.value.trim();
    if (tone.value.trim()) body.tone = tone.value.trim();
    submit.disabled = true;
    replace(reviewBox);
    try {
      const created = await ctx.api.post('/v1/catalogue/jobs', body);
      const ended = await follow(created, region);
      announce(progress(ended));
      if (ended.status === 'succeeded' && ended.settings.dry_run) {
        await reviewTable(ended, reviewBox, () => key.value.trim(), region);
      } else {
        region.focus();
      }
    } catch (e) {
      say(region, e.message, true);
      const wrong = { shop, key, languages, products, tone }[e.param];
      if (wrong) wrong.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', {}, element, region);
}

export const catalogue = {
  async render(main, context) {
    ctx = context;
    stopPolling();
    const reviewBox = h('section', { id: 'catalogue-review', 'aria-labelledby': 'catalogue-review-title' });
    root = h('div', { class: 'page catalogue', id: 'catalogue' },
      h('h1', { id: 'catalogue-title', tabindex: '-1' }, t('catalogue.title')),
      h('p', { class: 'muted' }, t('catalogue.intro')),
      form(reviewBox), reviewBox);
    replace(main, root);
    root.querySelector('#catalogue-title').focus();
  },
  leave() {
    stopPolling();
    root = null;
  },
};
