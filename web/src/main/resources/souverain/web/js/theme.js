// Light or dark: the system's preference until the person picks one, then theirs, remembered.
// highlight.js's light and dark styles follow the page's theme.

const STORAGE_KEY = 'souverain.theme';
const dark = window.matchMedia('(prefers-color-scheme: dark)');

export function theme() {
  return localStorage.getItem(STORAGE_KEY) || (dark.matches ? 'dark' : 'light');
}

function apply() {
  const current = theme();
  document.documentElement.dataset.theme = current;
  const light = document.getElementById('code-light');
  const night = document.getElementById('code-dark');
  if (light && night) {
    light.disabled = current === 'dark';
    night.disabled = current !== 'dark';
  }
}

export function setTheme(value) {
  localStorage.setItem(STORAGE_KEY, value);
  apply();
}

export function toggleTheme() {
  setTheme(theme() === 'dark' ? 'light' : 'dark');
}

dark.addEventListener('change', apply);
apply();
