// French and English: the browser's language first, then the one the person picks, remembered.
// t(key, params) looks a key up in the current catalog (English when it lacks it) and fills
// {name} placeholders; elements carrying data-i18n* attributes are translated by applyTranslations.

import en from './i18n/en.js';
import fr from './i18n/fr.js';

const catalogs = { en, fr };
const STORAGE_KEY = 'souverain.language';
const events = new EventTarget();

function initial() {
  const kept = localStorage.getItem(STORAGE_KEY);
  if (kept && catalogs[kept]) return kept;
  const preferred = (navigator.languages || [navigator.language || 'en'])
    .map((l) => l.slice(0, 2).toLowerCase()).find((l) => catalogs[l]);
  return preferred || 'en';
}

let current = initial();
document.documentElement.lang = current;

export const languages = Object.keys(catalogs);

export function language() {
  return current;
}

export function t(key, params) {
  let text = catalogs[current][key] ?? en[key] ?? key;
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
  }
  return text;
}

/** Switches to {@code lang}, remembers it, translates the document and tells the listeners ('change'). */
export function setLanguage(lang) {
  if (!catalogs[lang]) throw new Error(`no catalog for language '${lang}'`);
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  applyTranslations(document);
  events.dispatchEvent(new Event('change'));
}

/** Calls {@code listener} after each language change; returns a function that stops it. */
export function onLanguageChange(listener) {
  events.addEventListener('change', listener);
  return () => events.removeEventListener('change', listener);
}

const ATTRIBUTES = { 'data-i18n-placeholder': 'placeholder', 'data-i18n-title': 'title',
  'data-i18n-aria-label': 'aria-label' };

/**
 * Translates {@code root}'s elements: data-i18n sets the text, data-i18n-placeholder,
 * data-i18n-title and data-i18n-aria-label set those attributes.
 */
export function applyTranslations(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const [data, attribute] of Object.entries(ATTRIBUTES)) {
    for (const el of root.querySelectorAll(`[${data}]`)) el.setAttribute(attribute, t(el.getAttribute(data)));
  }
}

export const i18n = { t, language, setLanguage, onLanguageChange, applyTranslations, languages };
