// A model's answer as HTML: Markdown through marked, then DOMPurify, so that nothing in an answer
// can run (no script, no event handler attribute, no javascript: link); links open in a new tab
// without a handle on this one; code blocks are highlighted and get a copy button.

import { Marked } from '/webjars/marked/16.3.0/lib/marked.esm.js';
import DOMPurify from '/webjars/dompurify/3.3.0/dist/purify.es.mjs';
import { copyButton, append, replace } from './dom.js';

const marked = new Marked({ gfm: true, breaks: true, async: false });

const PURIFY = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
  FORBID_ATTR: ['style'],
};

function highlight(code) {
  const hljs = window.hljs;
  if (!hljs) return;
  hljs.configure({ ignoreUnescapedHTML: true });
  const declared = [...code.classList].find((c) => c.startsWith('language-'));
  if (declared && !hljs.getLanguage(declared.slice('language-'.length))) {
    code.classList.remove(declared);
  }
  hljs.highlightElement(code);
}

/** {@code text} rendered into {@code target}, replacing what it held. */
export function renderMarkdown(target, text) {
  const fragment = DOMPurify.sanitize(marked.parse(text), PURIFY);
  for (const link of fragment.querySelectorAll('a[href]')) {
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
  }
  for (const code of fragment.querySelectorAll('pre > code')) {
    highlight(code);
    const pre = code.parentElement;
    const wrapper = document.createElement('div');
    wrapper.className = 'code';
    pre.replaceWith(wrapper);
    // Without the newline marked ends each block with: a pasted command must not run by itself.
    append(wrapper, copyButton(() => code.textContent.replace(/\n$/, ''), 'copy'), pre);
  }
  replace(target, fragment);
}
