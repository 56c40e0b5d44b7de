// Usage and limits, over GET /v1/usage and /v1/admin/limits: the administration's charts of tokens
// and requests over time by user, group, model or backend (uPlot, loaded from its WebJar when the
// chart is first drawn), the table of the same figures for those who do not read charts, the
// budgets and limits editor, and the account's own usage. Names of users, groups and keys come from
// the administration's lists when the role may read them; else their ids show.

import { t, language } from './i18n.js';
import { h, append, replace, announce } from './dom.js';
import { facts, table } from './present.js';

const UPLOT = '/webjars/uplot/1.6.30/dist/uPlot.esm.js';
const GROUPINGS = ['model', 'user', 'group', 'backend'];
const MEASURES = ['tokens', 'requests'];
const SPANS = { days: { period: 'day', days: 30 }, months: { period: 'month', days: 365 } };
/** Past this many groups, the smallest are drawn together as "others": a chart of 30 lines reads as none. */
const MAX_SERIES = 6;
const LIMIT_FIELDS = ['requests_per_minute', 'tokens_per_minute', 'tokens_per_day', 'tokens_per_month'];
const SUBJECT_KINDS = ['organization', 'group', 'user', 'key'];

let uPlotModule = null;

function number(value) {
  return new Intl.NumberFormat(language()).format(value);
}

/**
 * An energy estimate in Wh, or "not set" when no call had a figure; no calls at all under set
 * figures took none ({@code report}, when given, says whether that is so).
 */
function energy(value, report) {
  if ((value === null || value === undefined) && report && report.totals.requests === 0
    && Object.keys(report.energy.wh_per_1k_tokens).length) value = 0;
  if (value === null || value === undefined) return t('usage.energy.notSet');
  return t('usage.energy.value', { wh: new Intl.NumberFormat(language(), { maximumFractionDigits: 4 }).format(value) });
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

/** The query of a report ending today (UTC) over {@code span}. */
function query(span, extra) {
  const end = new Date();
  const start = new Date(end.getTime() - (SPANS[span].days - 1) * 86_400_000);
  const params = new URLSearchParams({ period: SPANS[span].period, start: isoDay(start), end: isoDay(end), ...extra });
  return params.toString();
}

/** Every period of the span, oldest first, so that days without calls show as zero, not as gaps. */
function periods(report) {
  const all = [];
  const day = new Date(`${report.start}T00:00:00Z`);
  const end = new Date(`${report.end}T00:00:00Z`);
  while (day <= end) {
    const key = report.period === 'day' ? isoDay(day) : isoDay(day).slice(0, 7);
    if (all[all.length - 1] !== key) all.push(key);
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return all;
}

function startOf(period) {
  return Date.parse(period.length === 7 ? `${period}-01T00:00:00Z` : `${period}T00:00:00Z`) / 1000;
}

/** The names the page can give users, groups and keys: what the administration lists, when the role may read them. */
async function names(ctx) {
  const read = (path, label) => ctx.api.get(path).then(
    (answer) => Object.fromEntries(answer.data.map((item) => [item.id, label(item)])), () => ({}));
  const [users, groups, keys] = await Promise.all([
    read('/v1/admin/users', (u) => u.email),
    read('/v1/admin/groups', (g) => g.name),
    read('/v1/admin/keys', (k) => t('usage.key', { name: k.name || k.id })),
  ]);
  return { user: users, group: groups, key: keys };
}

function groupName(grouping, id, known) {
  if (id === '' || id === null || id === undefined) {
    return t(grouping === 'group' ? 'usage.noGroup' : 'usage.none');
  }
  // By user, a call made with an API key is the key's.
  return known[grouping]?.[id] ?? (grouping === 'user' ? known.key[id] : undefined) ?? id;
}

function measureOf(row, measure) {
  return measure === 'requests' ? row.requests : row.total_tokens;
}

/**
 * The report's rows as chart series: one per group, the largest first, the rest summed as
 * "others"; each a value per period of the span.
 */
function series(report, grouping, measure, known) {
  const keys = periods(report);
  const index = new Map(keys.map((k, i) => [k, i]));
  const byGroup = new Map();
  for (const row of report.data) {
    const id = row.group ?? '';
    if (!byGroup.has(id)) byGroup.set(id, { id, values: new Array(keys.length).fill(0), total: 0, requests: 0, tokens: 0, energy: null });
    const g = byGroup.get(id);
    const value = measureOf(row, measure);
    g.values[index.get(row.period)] += value;
    g.total += value;
    g.requests += row.requests;
    g.tokens += row.total_tokens;
    if (row.energy_wh_estimate !== null) g.energy = (g.energy ?? 0) + row.energy_wh_estimate;
  }
  const groups = [...byGroup.values()].sort((a, b) => b.total - a.total);
  for (const g of groups) g.name = groupName(grouping, g.id, known);
  const drawn = groups.slice(0, MAX_SERIES);
  const rest = groups.slice(MAX_SERIES);
  if (rest.length) {
    drawn.push({
      name: t('usage.others', { count: rest.length }),
      values: keys.map((_, i) => rest.reduce((sum, g) => sum + g.values[i], 0)),
    });
  }
  return { keys, groups, drawn };
}

/** Colours told apart in both themes and by people who do not see red and green apart (Okabe and Ito). */
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#7f7f7f'];

function cssColour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#555';
}

async function drawChart(box, data, report, measure, title) {
  if (!uPlotModule) uPlotModule = (await import(UPLOT)).default;
  const uPlot = uPlotModule;
  const text = cssColour('--muted');
  const grid = cssColour('--border');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const width = Math.max(280, box.clientWidth || 600);
  const options = {
    width,
    height: 280,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    // Dates in the page's language, by UTC day or month as the report counts them.
    axes: [{ ...axis, values: (u, ticks) => ticks.map((ts) => new Date(ts * 1000).toLocaleDateString(language(),
      report.period === 'day' ? { month: 'short', day: 'numeric', timeZone: 'UTC' }
        : { month: 'short', year: 'numeric', timeZone: 'UTC' })) },
    { ...axis, size: 70, values: (u, ticks) => ticks.map((v) => number(v)) }],
    series: [{}, ...data.drawn.map((g, i) => ({
      label: g.name, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: data.keys.length < 40 },
    }))],
  };
  const plotted = [data.keys.map(startOf), ...data.drawn.map((g) => g.values)];
  replace(box);
  const chart = new uPlot(options, plotted, box);
  // A canvas says nothing to a screen reader: it is named, and the table below holds the figures.
  const canvas = box.querySelector('canvas');
  if (canvas) {
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', title);
  }
  return chart;
}

/** The usage part of the administration: filters, totals, the chart, the table and the CSV export. */
export async function usagePart(container, ctx) {
  const known = await names(ctx);
  const measure = h('select', { id: 'usage-measure' },
    ...MEASURES.map((m) => h('option', { value: m }, t(`usage.measure.${m}`))));
  const grouping = h('select', { id: 'usage-group-by' },
    ...GROUPINGS.map((g) => h('option', { value: g }, t(`usage.by.${g}`))));
  const span = h('select', { id: 'usage-span' },
    ...Object.keys(SPANS).map((s) => h('option', { value: s }, t(`usage.span.${s}`))));
  const controls = h('form', { class: 'card row usage-controls', id: 'usage-controls' },
    h('label', { for: 'usage-measure', class: 'inline' }, t('usage.measure'), measure),
    h('label', { for: 'usage-group-by', class: 'inline' }, t('usage.by'), grouping),
    h('label', { for: 'usage-span', class: 'inline' }, t('usage.span'), span));
  const totals = h('div', { id: 'usage-totals' });
  const heading = h('h3', { id: 'usage-chart-title' });
  const chart = h('div', { id: 'usage-chart', class: 'usage-chart' });
  const rows = h('div', { id: 'usage-table' });
  const csv = h('a', { id: 'usage-csv', class: 'button' }, t('usage.csv'));
  const note = h('p', { class: 'muted small', id: 'usage-energy-note' });
  const status = h('p', { class: 'error', role: 'alert' });
  append(container, controls, totals, h('section', { class: 'card', 'aria-labelledby': 'usage-chart-title' },
    heading, chart, rows, h('div', { class: 'row' }, csv), note), status);

  const load = async () => {
    status.textContent = '';
    const params = query(span.value, { group_by: grouping.value });
    let report;
    try {
      report = await ctx.api.get(`/v1/usage?${params}`);
    } catch (e) {
      status.textContent = e.message;
      return;
    }
    csv.setAttribute('href', `/v1/usage?${params}&format=csv`);
    csv.setAttribute('download', `usage-${report.start}-${report.end}.csv`);
    replace(totals, facts([
      ['usage.requests', number(report.totals.requests)],
      ['usage.tokens', t('usage.tokensDetail', { total: number(report.totals.total_tokens),
        prompt: number(report.totals.prompt_tokens), completion: number(report.totals.completion_tokens) })],
      ['usage.energy', energy(report.totals.energy_wh_estimate, report)],
    ]));
    const figures = Object.entries(report.energy.wh_per_1k_tokens);
    note.textContent = figures.length
      ? t('usage.energy.figures', { figures: figures.map(([b, wh]) => `${b} ${number(wh)}`).join(', ') })
      : t('usage.energy.none');
    const title = t('usage.chartTitle', { measure: t(`usage.measure.${measure.value}`),
      by: t(`usage.of.${grouping.value}`), span: t(`usage.span.${span.value}`) });
    heading.textContent = title;
    const data = series(report, grouping.value, measure.value, known);
    if (!report.data.length) {
      replace(chart, h('p', { class: 'muted empty-chart', id: 'usage-empty' }, t('usage.empty')));
    } else {
      await drawChart(chart, data, report, measure.value, title);
    }
    replace(rows, table('usage.tableCaption', [
      { label: `usage.by.${grouping.value}`, cell: (g) => g.name },
      { label: 'usage.requests', cell: (g) => number(g.requests) },
      { label: 'usage.tokens', cell: (g) => number(g.tokens) },
      { label: 'usage.energy', cell: (g) => energy(g.energy) },
    ], data.groups, { id: 'usage-groups' }));
  };
  for (const select of [measure, grouping, span]) {
    select.addEventListener('change', () => load().then(() => announce(t('usage.updated'))));
  }
  controls.addEventListener('submit', (event) => event.preventDefault());
  await load();
}

// Budgets and limits.

function subjectName(subject, known, organizationId) {
  if (subject.kind === 'organization') return subject.id === organizationId ? t('limits.wholeOrganization') : subject.id;
  const list = { group: known.group, user: known.user, key: known.key }[subject.kind];
  return list?.[subject.id] ?? subject.id;
}

function limitValue(value) {
  return value === null || value === undefined ? t('limits.none') : number(value);
}

/** The budgets and limits editor: the limits set, and a form to set or change one subject's. */
export async function limitsPart(container, ctx) {
  const known = await names(ctx);
  const organizationId = ctx.session.user.organization_id;
  const region = h('p', { id: 'limits-status', role: 'status', class: 'status' });
  const list = h('div', { id: 'limits-list' });
  const kind = h('select', { id: 'limit-kind' },
    ...SUBJECT_KINDS.map((k) => h('option', { value: k }, t(`limits.kind.${k}`))));
  const subject = h('select', { id: 'limit-subject' });
  const inputs = Object.fromEntries(LIMIT_FIELDS.map((f) => [f, h('input', { id: `limit-${f}`, type: 'number', min: 1,
    step: 1, inputmode: 'numeric', 'aria-describedby': 'limits-help' })]));
  const soft = h('input', { id: 'limit-soft_percent', type: 'number', min: 1, max: 100, step: 1, value: 80,
    inputmode: 'numeric' });
  const fillSubjects = (selected) => {
    const options = kind.value === 'organization' ? { [organizationId]: t('limits.wholeOrganization') }
      : known[kind.value];
    const entries = Object.entries(options);
    replace(subject, ...entries.map(([id, name]) => h('option', { value: id, selected: id === selected }, name)));
    if (!entries.length) append(subject, h('option', { value: '' }, t('limits.noSubjects')));
  };
  kind.addEventListener('change', () => fillSubjects());
  fillSubjects();
  const form = h('form', { class: 'card stack', id: 'limit-form', 'aria-labelledby': 'limit-form-title' },
    h('h3', { id: 'limit-form-title' }, t('limits.set')),
    h('p', { class: 'muted small', id: 'limits-help' }, t('limits.help')),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'limit-kind' }, t('limits.kind')), kind),
      h('div', { class: 'field grow' }, h('label', { for: 'limit-subject' }, t('limits.subject')), subject)),
    h('div', { class: 'limit-fields' },
      ...LIMIT_FIELDS.map((f) => h('div', { class: 'field' }, h('label', { for: `limit-${f}` }, t(`limits.${f}`)), inputs[f])),
      h('div', { class: 'field' }, h('label', { for: 'limit-soft_percent' }, t('limits.soft_percent')), soft)),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', id: 'limit-save' }, t('common.save'))));
  const edit = (entry) => {
    kind.value = entry.subject.kind;
    fillSubjects(entry.subject.id);
    for (const f of LIMIT_FIELDS) inputs[f].value = entry[f] ?? '';
    soft.value = entry.soft_percent;
    kind.focus();
  };
  const draw = async () => {
    const answer = await ctx.api.get('/v1/admin/limits');
    replace(list, table('limits.caption', [
      { label: 'limits.subject', cell: (e) => `${t(`limits.kind.${e.subject.kind}`)}: ${subjectName(e.subject, known, organizationId)}` },
      ...LIMIT_FIELDS.map((f) => ({ label: `limits.${f}`, cell: (e) => limitValue(e[f]) })),
      { label: 'limits.soft_percent', cell: (e) => `${e.soft_percent} %` },
      { label: 'admin.actions', cell: (e) => h('div', { class: 'row' },
        h('button', { type: 'button', class: 'small edit-limit', onclick: () => edit(e),
          'aria-label': t('limits.edit.named', { name: subjectName(e.subject, known, organizationId) }) }, t('limits.edit')),
        h('button', { type: 'button', class: 'small danger remove-limit', onclick: () => remove(e),
          'aria-label': t('limits.remove.named', { name: subjectName(e.subject, known, organizationId) }) },
        t('limits.remove'))) },
    ], answer.data, { id: 'limits-table', rowId: (e) => `${e.subject.kind}:${e.subject.id}` }));
  };
  const say = (text, error) => {
    region.className = error ? 'error' : 'status';
    region.setAttribute('role', error ? 'alert' : 'status');
    region.textContent = text;
  };
  const remove = async (entry) => {
    const name = subjectName(entry.subject, known, organizationId);
    if (!confirm(t('limits.remove.confirm', { name }))) return;
    try {
      await ctx.api.del(`/v1/admin/limits/${entry.subject.kind}/${encodeURIComponent(entry.subject.id)}`);
      say(t('limits.removed', { name }));
      await draw();
    } catch (e) {
      say(e.message, true);
    }
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!subject.value) {
      say(t('limits.noSubjects'), true);
      return;
    }
    const body = { soft_percent: Number(soft.value || 80) };
    for (const f of LIMIT_FIELDS) body[f] = inputs[f].value === '' ? null : Number(inputs[f].value);
    try {
      await ctx.api.put(`/v1/admin/limits/${kind.value}/${encodeURIComponent(subject.value)}`, body);
      say(t('limits.saved', { name: subject.selectedOptions[0]?.textContent ?? subject.value }));
      await draw();
    } catch (e) {
      say(e.message, true);
    }
  });
  append(container, form, region, list);
  await draw();
}

/** The signed-in person's own usage, for the account dialog: the last 30 days' totals, and by model. */
export async function ownUsage(api, userId) {
  const box = h('section', { class: 'own-usage', id: 'own-usage', 'aria-labelledby': 'own-usage-title' },
    h('h3', { id: 'own-usage-title' }, t('usage.own.title')));
  try {
    // Named, since an administrator's report without a user is the whole organization's.
    const report = await api.get(`/v1/usage?${query('days', { group_by: 'model', user: userId })}`);
    append(box, facts([
      ['usage.requests', number(report.totals.requests)],
      ['usage.tokens', number(report.totals.total_tokens)],
      ['usage.energy', energy(report.totals.energy_wh_estimate, report)],
    ]));
    const byModel = new Map();
    for (const row of report.data) {
      const m = byModel.get(row.group) ?? { model: row.group, requests: 0, tokens: 0 };
      m.requests += row.requests;
      m.tokens += row.total_tokens;
      byModel.set(row.group, m);
    }
    append(box, report.data.length
      ? table('usage.own.caption', [
        { label: 'usage.by.model', cell: (m) => m.model },
        { label: 'usage.requests', cell: (m) => number(m.requests) },
        { label: 'usage.tokens', cell: (m) => number(m.tokens) },
      ], [...byModel.values()], { id: 'own-usage-table' })
      : h('p', { class: 'muted' }, t('usage.own.empty')));
  } catch (e) {
    append(box, h('p', { class: 'error' }, e.message));
  }
  return box;
}
