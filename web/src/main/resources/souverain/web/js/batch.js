// The batch jobs of the signed-in person (GET /v1/batch/jobs; an administrator sees the
// organization's): each with its progress, a cancel button while it runs, and its output and
// error files to download. The list refreshes itself while a job is still going.

import { t } from './i18n.js';
import { h, announce, replace } from './dom.js';
import { when, table } from './present.js';

const REFRESH_MS = 2000;
const GOING = ['QUEUED', 'RUNNING', 'CANCELLATION_REQUESTED'];

let timer = null;
let root = null;
let ctx = null;
let jobs = [];

function progress(job) {
  const done = job.completed_requests;
  const total = job.total_requests;
  const label = t('batch.progress', { done, total, failed: job.failed_requests });
  return h('span', { class: 'batch-progress' },
    h('progress', { max: String(total), value: String(done), 'aria-label': label }),
    h('span', {}, label));
}

function download(fileId, key, job) {
  return h('a', { href: `/v1/files/${encodeURIComponent(fileId)}/content`,
    download: `${job.id}-${key === 'batch.output' ? 'output' : 'errors'}.jsonl` }, t(key));
}

function actions(job) {
  const parts = [];
  if (job.status === 'QUEUED' || job.status === 'RUNNING') {
    parts.push(h('button', { type: 'button', class: 'ghost', onclick: () => cancel(job) }, t('batch.cancel')));
  }
  if (job.succeeded_requests > 0) parts.push(download(job.output_file, 'batch.output', job));
  if (job.failed_requests > 0) parts.push(download(job.error_file, 'batch.errors', job));
  return parts.length ? h('span', { class: 'batch-actions' }, ...parts) : '—';
}

async function cancel(job) {
  try {
    await ctx.api.post(`/v1/batch/jobs/${encodeURIComponent(job.id)}/cancel`);
    announce(t('batch.cancelled', { id: job.id }));
  } catch (e) {
    announce(e.message);
  }
  await refresh();
}

function draw() {
  replace(root,
    h('h1', { 'data-i18n': 'batch.title' }, t('batch.title')),
    h('p', { class: 'muted', 'data-i18n': 'batch.intro' }, t('batch.intro')),
    h('p', {}, h('button', { type: 'button', id: 'batch-refresh', onclick: () => refresh() }, t('batch.refresh'))),
    table('batch.title', [
      { label: 'batch.job', cell: (j) => h('code', {}, j.id) },
      { label: 'batch.endpoint', cell: (j) => j.endpoint },
      { label: 'batch.model', cell: (j) => j.model || '—' },
      { label: 'batch.status', cell: (j) => h('span', { class: `batch-status status-${j.status.toLowerCase()}` },
        t(`batch.status.${j.status}`)) },
      { label: 'batch.progressLabel', cell: progress },
      { label: 'batch.created', cell: (j) => when(j.created_at) },
      { label: 'batch.actions', cell: actions },
    ], jobs, { id: 'batch-table', rowId: (j) => j.id }));
}

async function refresh() {
  if (!root) return;
  const answer = await ctx.api.get('/v1/batch/jobs?page_size=100');
  jobs = answer.data;
  draw();
  clearTimeout(timer);
  if (jobs.some((j) => GOING.includes(j.status))) {
    timer = setTimeout(() => refresh().catch(() => {}), REFRESH_MS);
  }
}

export const batch = {
  async render(main, context) {
    ctx = context;
    root = h('div', { class: 'page batch', id: 'batch' }, h('p', { class: 'muted', role: 'status' }, t('batch.loading')));
    replace(main, root);
    await refresh();
  },
  onLanguageChange() {
    if (root) draw();
  },
  leave() {
    clearTimeout(timer);
    root = null;
  },
};
