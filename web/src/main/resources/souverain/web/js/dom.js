// Small helpers to build elements without HTML strings: text always goes in as text.

import { t } from './i18n.js';

/**
 * h('button', { type: 'button', class: 'ghost', onclick: f, 'aria-label': 'Close' }, 'text', child)
 * Attributes whose value is null, undefined or false are left out; on* functions become listeners.
 */
export function h(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  return append(el, ...children);
}

/**
 * Appends {@code children} to {@code el} as h() does: nodes as they are, anything else as text,
 * and null, undefined and false not at all (Element.append would write them as the words "null"
 * and "undefined"). The views build their pages through it and replace(), never the DOM's own.
 */
export function append(el, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces what {@code el} holds with {@code children}, as append() adds them. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, ...children);
}

/** Says {@code text} to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById('announcer');
  region.textContent = '';
  // A fresh text node after a tick, so that the same sentence twice is still read.
  setTimeout(() => { region.textContent = text; }, 50);
}

/**
 * A button that copies {@code text()} to the clipboard and says so, on the button for a moment
 * and to screen readers; where the browser refuses, it says how to copy by hand. {@code labelKey}
 * names what it copies when that is more than "Copy".
 */
export function copyButton(text, className, labelKey = 'copy') {
  const button = h('button', { type: 'button', class: className, 'data-i18n': labelKey }, t(labelKey));
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.textContent = t('copied');
      announce(t('copied'));
      setTimeout(() => { button.textContent = t(labelKey); }, 1500);
    } catch {
      announce(t('copyFailed'));
    }
  });
  return button;
}
