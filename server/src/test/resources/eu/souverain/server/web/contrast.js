// WCAG 2.2 contrast of every visible text on the page against what lies behind it: the elements
// whose text falls short, as "selector 'text' ratio < needed". Normal text needs 4.5:1, large text
// (24px, or 18.66px bold) 3:1; disabled controls and placeholders are exempt, as WCAG says.
const rgba = (css) => {
  const m = css.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const over = (top, below) => top.slice(0, 3).map((v, k) => v * top[3] + below[k] * (1 - top[3]));
const channel = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
const luminance = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
const background = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) {
      layers.push(c);
      if (c[3] >= 1) break;
    }
  }
  let base = [255, 255, 255];
  for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
  return base;
};
const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  + [...el.classList].map((c) => '.' + c).join('');
const failures = [];
for (const el of document.querySelectorAll('body *')) {
  const text = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim();
  if (!text || !el.getClientRects().length || el.closest('[hidden], [disabled], [aria-hidden=true]')) continue;
  const style = getComputedStyle(el);
  if (style.visibility !== 'visible' || Number(style.opacity) === 0) continue;
  const behind = background(el);
  const fg = over(rgba(style.color), behind);
  const [a, b] = [luminance(fg), luminance(behind)];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  const needed = large ? 3 : 4.5;
  if (ratio < needed) failures.push(`${name(el)} '${text.slice(0, 30)}' ${ratio.toFixed(2)} < ${needed}`);
}
return failures;
