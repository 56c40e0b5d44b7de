// The organization's document libraries: the person's and those shared with them, a library's
// documents with their processing status, uploads by drag and drop (or the file button) with
// their progress, deletion, and sharing with the whole organization or with people of it, named
// by their address, to read or to add. Everything comes from the Libraries API (/v1/libraries),
// as an official Mistral client sees it.

import { api } from './api.js';
import { t, applyTranslations } from './i18n.js';
import { h, announce, append, replace } from './dom.js';
import { size } from './present.js';

let ctx = null;
let root = null;
let el = {};
let library = null;
let poll = 0;

function layout() {
  el.name = h('input', { id: 'library-name', type: 'text', maxlength: 200, required: true, autocomplete: 'off' });
  el.createError = h('p', { class: 'error', role: 'alert' });
  el.create = h('form', { id: 'library-create', class: 'stack' },
    h('label', { for: 'library-name', 'data-i18n': 'libraries.new.name' }), el.name,
    el.createError,
    h('button', { type: 'submit', class: 'primary', 'data-i18n': 'libraries.new.create' }));
  el.list = h('ul', { id: 'library-list', class: 'conversation-list', role: 'list' });
  el.detail = h('section', { id: 'library-detail', class: 'library-detail', 'aria-live': 'off' });
  root = h('div', { class: 'libraries', id: 'libraries' },
    h('nav', { class: 'library-nav card', 'aria-labelledby': 'libraries-title' },
      h('h1', { id: 'libraries-title', 'data-i18n': 'libraries.title' }),
      h('p', { class: 'muted small', 'data-i18n': 'libraries.intro' }),
      el.list,
      h('h2', { class: 'small-heading', 'data-i18n': 'libraries.new' }),
      el.create),
    el.detail);
  el.create.addEventListener('submit', async (event) => {
    event.preventDefault();
    el.createError.textContent = '';
    try {
      const made = await api.post('/v1/libraries', { name: el.name.value.trim() });
      el.name.value = '';
      announce(t('libraries.created', { name: made.name }));
      ctx.navigate(`#/libraries/${encodeURIComponent(made.id)}`);
    } catch (e) {
      el.createError.textContent = e.message;
    }
  });
  applyTranslations(root);
}

async function loadList() {
  const list = await api.get('/v1/libraries');
  replace(el.list, ...list.data.map((l) => h('li', { dataset: { id: l.id } },
    h('a', { href: `#/libraries/${encodeURIComponent(l.id)}`, class: 'conversation-link',
      'aria-current': library && library.id === l.id ? 'page' : null },
      l.name, h('span', { class: 'muted small block' },
        t('libraries.meta', { documents: l.nb_documents, size: size(l.total_size) }))))));
  if (!list.data.length) append(el.list, h('li', { class: 'muted empty' }, t('libraries.none')));
}

function statusText(d) {
  if (d.processing_status === 'Completed') {
    return d.number_of_pages ? t('libraries.status.pages', { pages: d.number_of_pages, chunks: d.number_of_chunks })
      : t('libraries.status.done', { chunks: d.number_of_chunks });
  }
  if (d.processing_status === 'Failed') return t('libraries.status.failed', { reason: d.processing_error || '' });
  return t('libraries.status.running');
}

function documentRow(d) {
  return h('tr', { dataset: { id: d.id, status: d.processing_status } },
    h('td', {}, d.name),
    h('td', {}, d.extension ? d.extension.toUpperCase() : ''),
    h('td', {}, size(d.size)),
    h('td', { class: `status ${d.processing_status.toLowerCase()}` }, statusText(d)),
    h('td', {}, library.role === 'Viewer' ? null : h('button', { type: 'button', class: 'small delete-document',
      'aria-label': t('libraries.document.delete.named', { name: d.name }), onclick: () => removeDocument(d) },
    t('libraries.document.delete'))));
}

async function loadDocuments() {
  clearTimeout(poll);
  if (!library) return;
  const id = library.id;
  const list = await api.get(`/v1/libraries/${encodeURIComponent(id)}/documents?sort_by=created_at&sort_order=desc`);
  if (!library || library.id !== id) return;
  replace(el.documents, ...list.data.map(documentRow));
  el.empty.hidden = list.data.length > 0;
  if (list.data.some((d) => d.processing_status === 'Running')) {
    poll = setTimeout(() => loadDocuments().catch((e) => { el.error.textContent = e.message; }), 1000);
  } else if (el.documents.dataset.running === 'true') {
    announce(t('libraries.processed'));
  }
  el.documents.dataset.running = String(list.data.some((d) => d.processing_status === 'Running'));
}

async function removeDocument(d) {
  if (!confirm(t('libraries.document.delete.confirm', { name: d.name }))) return;
  try {
    await api.del(`/v1/libraries/${encodeURIComponent(library.id)}/documents/${encodeURIComponent(d.id)}`);
    announce(t('libraries.document.deleted', { name: d.name }));
    await Promise.all([loadDocuments(), loadList()]);
  } catch (e) {
    el.error.textContent = e.message;
  }
}

async function removeLibrary() {
  if (!confirm(t('libraries.delete.confirm', { name: library.name }))) return;
  try {
    await api.del(`/v1/libraries/${encodeURIComponent(library.id)}`);
    announce(t('libraries.deleted', { name: library.name }));
    library = null;
    ctx.navigate('#/libraries');
  } catch (e) {
    el.error.textContent = e.message;
  }
}

async function share(level) {
  const target = { share_with_type: 'Org', share_with_uuid: ctx.session.user.organization_id };
  try {
    if (level) await api.put(`/v1/libraries/${encodeURIComponent(library.id)}/share`, { ...target, level });
    else await api.del(`/v1/libraries/${encodeURIComponent(library.id)}/share`, target);
    announce(t(level ? 'libraries.shared' : 'libraries.unshared'));
  } catch (e) {
    el.shareError.textContent = e.message;
  }
}

const LEVELS = ['Viewer', 'Editor'];

function levelOptions() {
  return LEVELS.map((level) => h('option', { value: level }, t(`libraries.people.${level}`)));
}

/** Shares the library with one person ({share_with_email} or {share_with_uuid}) as {@code level}; true when done. */
async function shareWithPerson(target, level, who) {
  el.shareError.textContent = '';
  try {
    const done = await api.put(`/v1/libraries/${encodeURIComponent(library.id)}/share`,
      { share_with_type: 'User', level, ...target });
    announce(t('libraries.people.shared', { email: done.share_with_email || who, level: t(`libraries.people.${level}`) }));
    await Promise.all([loadShares(), loadList()]);
    return true;
  } catch (e) {
    el.shareError.textContent = e.message;
    return false;
  }
}

async function unshareWithPerson(s, who) {
  el.shareError.textContent = '';
  try {
    await api.del(`/v1/libraries/${encodeURIComponent(library.id)}/share`,
      { share_with_type: 'User', share_with_uuid: s.share_with_uuid });
    announce(t('libraries.people.removed', { email: who }));
    await Promise.all([loadShares(), loadList()]);
    document.getElementById('share-email')?.focus();
  } catch (e) {
    el.shareError.textContent = e.message;
  }
}

function shareRow(s) {
  const who = s.share_with_email || s.share_with_uuid;
  const owner = library.role === 'Owner';
  let access = t(`libraries.people.${s.role}`);
  if (owner) {
    access = h('select', { class: 'share-role', 'aria-label': t('libraries.people.level.named', { email: who }) },
      ...levelOptions());
    access.value = s.role;
    access.addEventListener('change', () => shareWithPerson({ share_with_uuid: s.share_with_uuid }, access.value, who));
  }
  return h('tr', { dataset: { id: s.share_with_uuid, role: s.role } },
    h('td', { class: 'share-person' }, who),
    h('td', {}, access),
    owner ? h('td', {}, h('button', { type: 'button', class: 'small unshare',
      'aria-label': t('libraries.people.remove.named', { email: who }), onclick: () => unshareWithPerson(s, who) },
    t('libraries.people.remove'))) : null);
}

/** The people the library is shared with by name (its owner apart), each with their access. */
async function loadShares() {
  if (!library) return;
  const id = library.id;
  const list = await api.get(`/v1/libraries/${encodeURIComponent(id)}/share`);
  if (!library || library.id !== id) return;
  const people = list.data.filter((s) => s.share_with_type === 'User' && s.role !== 'Owner');
  replace(el.shares, ...people.map(shareRow));
  el.sharesEmpty.hidden = people.length > 0;
}

/** Who may use the library: the organization, and people named by their address; only its owner changes it. */
function sharing() {
  const owner = library.role === 'Owner';
  const everyone = h('select', { id: 'library-share', disabled: !owner },
    h('option', { value: '' }, t('libraries.share.private')),
    h('option', { value: 'Viewer' }, t('libraries.share.viewer')),
    h('option', { value: 'Editor' }, t('libraries.share.editor')));
  everyone.value = library.org_sharing_role || '';
  everyone.addEventListener('change', () => share(everyone.value));
  el.shares = h('tbody', { id: 'library-shares' });
  el.sharesEmpty = h('p', { class: 'muted', id: 'library-shares-none' }, t('libraries.people.none'));
  el.shareError = h('p', { class: 'error', role: 'alert', id: 'share-error' });
  let form = null;
  if (owner) {
    const email = h('input', { id: 'share-email', type: 'email', required: true, autocomplete: 'off', maxlength: 254 });
    const level = h('select', { id: 'share-level' }, ...levelOptions());
    form = h('form', { id: 'library-share-person', class: 'row share-person-form' },
      h('label', { for: 'share-email' }, t('libraries.people.email')), email,
      h('label', { for: 'share-level' }, t('libraries.people.level')), level,
      h('button', { type: 'submit', class: 'primary' }, t('libraries.people.add')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const address = email.value.trim();
      if (await shareWithPerson({ share_with_email: address }, level.value, address)) {
        email.value = '';
        email.focus();
      }
    });
  }
  return h('section', { class: 'library-sharing', 'aria-labelledby': 'library-sharing-title' },
    h('h3', { id: 'library-sharing-title' }, t('libraries.sharing')),
    h('label', { for: 'library-share', class: 'inline' }, h('span', {}, t('libraries.share')), everyone),
    h('table', { class: 'documents shares' },
      h('caption', { class: 'visually-hidden' }, t('libraries.people')),
      h('thead', {}, h('tr', {},
        ...(owner ? ['person', 'access', 'actions'] : ['person', 'access'])
          .map((c) => h('th', { scope: 'col' }, t(`libraries.people.col.${c}`))))),
      el.shares),
    el.sharesEmpty,
    form,
    el.shareError);
}

function uploadAll(files) {
  for (const file of files) {
    const bar = h('progress', { max: 100, value: 0, 'aria-label': t('libraries.uploading', { name: file.name }) });
    const note = h('span', { class: 'muted small' }, t('libraries.uploading', { name: file.name }));
    const row = h('li', { class: 'upload' }, note, bar);
    append(el.uploads, row);
    api.upload(`/v1/libraries/${encodeURIComponent(library.id)}/documents`, file,
      (fraction) => { bar.value = Math.round(fraction * 100); })
      .then(() => {
        row.remove();
        announce(t('libraries.uploaded', { name: file.name }));
        return Promise.all([loadDocuments(), loadList()]);
      })
      .catch((e) => {
        bar.remove();
        note.className = 'error small';
        note.textContent = t('libraries.upload.failed', { name: file.name, reason: e.message });
      });
  }
}

async function show(id) {
  clearTimeout(poll);
  library = await api.get(`/v1/libraries/${encodeURIComponent(id)}`);
  el.error = h('p', { class: 'error', role: 'alert' });
  el.uploads = h('ul', { class: 'plain uploads', id: 'uploads' });
  el.documents = h('tbody', { id: 'documents' });
  el.empty = h('p', { class: 'muted', hidden: true }, t('libraries.documents.none'));
  const input = h('input', { type: 'file', id: 'library-file', multiple: true, class: 'visually-hidden',
    accept: '.pdf,.docx,.odt,.pptx,.html,.htm,.md,.markdown,.txt' });
  input.addEventListener('change', () => { uploadAll([...input.files]); input.value = ''; });
  const drop = h('div', { class: 'drop-zone', id: 'drop-zone' },
    h('p', {}, t('libraries.drop')),
    h('label', { for: 'library-file', class: 'button', tabindex: '0', id: 'choose-files' }, t('libraries.choose')),
    input);
  drop.querySelector('label').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); input.click(); }
  });
  drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    uploadAll([...event.dataTransfer.files]);
  });
  const owner = library.role === 'Owner';
  replace(el.detail,
    h('div', { class: 'row library-head' },
      h('h2', { id: 'library-title', tabindex: '-1' }, library.name),
      owner ? h('button', { type: 'button', id: 'library-delete', class: 'danger', onclick: removeLibrary },
        t('libraries.delete')) : null),
    h('p', { class: 'muted small' }, t(`libraries.role.${library.role}`)),
    library.role === 'Viewer' ? null : drop,
    el.uploads,
    el.error,
    h('table', { class: 'documents' },
      h('caption', { class: 'visually-hidden' }, t('libraries.documents')),
      h('thead', {}, h('tr', {},
        ...['name', 'type', 'size', 'status', 'actions'].map((c) => h('th', { scope: 'col' }, t(`libraries.col.${c}`))))),
      el.documents),
    el.empty,
    sharing());
  await Promise.all([loadDocuments(), loadShares()]);
}

export const libraries = {
  async render(main, context) {
    ctx = context;
    if (!root || !main.contains(root)) {
      layout();
      replace(main, root);
    }
    const id = ctx.route.params[0] || null;
    await loadList();
    if (id) {
      await show(id);
      await loadList();
      el.detail.querySelector('#library-title')?.focus();
    } else {
      library = null;
      replace(el.detail, h('p', { class: 'muted card' }, t('libraries.pick')));
    }
  },
  leave() {
    clearTimeout(poll);
    root = null;
    library = null;
  },
};
