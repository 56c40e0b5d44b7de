// How the sovereignty panel, the report and the administration show what the API answers:
// definition lists, tables, times and locations, built as DOM nodes. Every value
// from the API goes in as text, never as HTML.

import { h } from './dom.js';
import { t, language } from './i18n.js';

/** A time from the API (ISO-8601 text or Unix seconds) in the reader's language; "never" for none. */
export function when(value) {
  if (value === null || value === undefined || value === '') return t('facts.never');
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(language(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** A declared location, {country, region, operator, jurisdiction, ...}, as one line. */
export function place(location) {
  if (!location) return t('facts.unknown');
  const parts = [location.country || t('facts.countryUnknown')];
  if (location.region) parts.push(location.region);
  if (location.operator) parts.push(t('facts.operator', { operator: location.operator }));
  const line = parts.join(' · ');
  return location.jurisdiction ? `${line} (${location.jurisdiction})` : line;
}

/** A size in bytes, in the unit that reads best. */
export function size(bytes) {
  const number = (n) => n.toLocaleString(language(), { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  if (bytes < 1024) return t('facts.bytes', { n: bytes });
  if (bytes < 1024 * 1024) return t('facts.kb', { n: number(bytes / 1024) });
  return t('facts.mb', { n: number(bytes / 1024 / 1024) });
}

/** A yes or no. */
export function yes(value) {
  return t(value ? 'facts.yes' : 'facts.no');
}

/** A definition list of [label key, value] pairs; a value is text, a node, or null (shown as a dash). */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, ...pairs.flatMap(([key, value]) => [
    h('dt', { 'data-i18n': key }, t(key)),
    h('dd', {}, value === null || value === undefined || value === '' ? '—' : value),
  ]));
}

/** A section with a heading of {@code level} (2 or 3), its id for aria-labelledby. */
export function section(id, titleKey, level, ...children) {
  return h('section', { class: 'facts-section', 'aria-labelledby': id },
    h(`h${level}`, { id, 'data-i18n': titleKey }, t(titleKey)), ...children);
}

/**
 * A table of {@code rows}; columns are {label: key, cell: row => text or node}. On a phone each
 * row reads as a card, each cell under its column's name.
 */
export function table(captionKey, columns, rows, attributes = {}) {
  const head = h('tr', {}, ...columns.map((c) => h('th', { scope: 'col', 'data-i18n': c.label }, t(c.label))));
  const body = rows.map((row) => {
    const tr = h('tr', {}, ...columns.map((c) => h('td', { 'data-label': t(c.label) }, c.cell(row) ?? '—')));
    if (attributes.rowId) tr.dataset.id = attributes.rowId(row);
    return tr;
  });
  const { rowId, ...rest } = attributes;
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'facts-table', ...rest },
      h('caption', { class: 'visually-hidden', 'data-i18n': captionKey }, t(captionKey)),
      h('thead', {}, head),
      h('tbody', {}, body.length ? body
        : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, t('facts.none'))))));
}

/** A list of short texts, or "none". */
export function list(items) {
  if (!items || !items.length) return h('span', { class: 'muted' }, t('facts.none'));
  return h('ul', { class: 'plain' }, ...items.map((item) => h('li', {}, item)));
}

