// Groups of users in the administration, over /v1/admin/groups: made by hand or mirroring a group of
// the identity provider, the models their members may use, and their members.

import { t } from './i18n.js';
import { h, append, replace, announce } from './dom.js';
import { table } from './present.js';

export async function groupsPart(container, ctx) {
  const region = h('p', { id: 'groups-status', role: 'status', class: 'status' });
  const say = (text, error) => {
    region.className = error ? 'error' : 'status';
    region.setAttribute('role', error ? 'alert' : 'status');
    region.textContent = text;
  };
  const [models, users] = await Promise.all([
    ctx.api.get('/v1/models').then((m) => m.data.map((model) => model.id), () => []),
    ctx.api.get('/v1/admin/users').then((u) => u.data, () => []),
  ]);
  const emails = Object.fromEntries(users.map((u) => [u.id, u.email]));
  const name = h('input', { id: 'new-group-name', type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
  const idp = h('input', { id: 'new-group-idp', type: 'text', maxlength: 200, autocomplete: 'off',
    'aria-describedby': 'new-group-idp-help' });
  const boxes = models.map((m, i) => h('input', { type: 'checkbox', id: `new-group-model-${i}`, value: m }));
  const form = h('form', { class: 'card stack', id: 'new-group', 'aria-labelledby': 'new-group-title' },
    h('h3', { id: 'new-group-title' }, t('groups.create')),
    h('div', { class: 'field' }, h('label', { for: 'new-group-name' }, t('groups.name')), name),
    h('div', { class: 'field' }, h('label', { for: 'new-group-idp' }, t('groups.idp')), idp,
      h('p', { class: 'muted small', id: 'new-group-idp-help' }, t('groups.idp.help'))),
    h('fieldset', { class: 'stack' }, h('legend', {}, t('groups.models')),
      h('p', { class: 'muted small' }, t('groups.models.help')),
      h('div', { class: 'row' },
        ...models.map((m, i) => h('label', { for: `new-group-model-${i}`, class: 'inline' }, boxes[i], m)))),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', id: 'new-group-submit' },
      t('groups.createButton'))));
  const list = h('div', { id: 'groups-list' });

  const memberCell = (g) => {
    const others = users.filter((u) => !g.members.includes(u.id));
    const pick = h('select', { class: 'add-member-select', 'aria-label': t('groups.addMember.named', { name: g.name }) },
      ...others.map((u) => h('option', { value: u.id }, u.email)));
    return h('div', { class: 'stack' },
      g.members.length ? h('ul', { class: 'plain' }, ...g.members.map((id) => h('li', {}, emails[id] ?? id, ' ',
        h('button', { type: 'button', class: 'small remove-member',
          'aria-label': t('groups.removeMember.named', { email: emails[id] ?? id, name: g.name }),
          onclick: () => change(() => ctx.api.del(`/v1/admin/groups/${g.id}/members/${encodeURIComponent(id)}`),
            t('groups.memberRemoved', { email: emails[id] ?? id, name: g.name })) }, t('groups.removeMember')))))
        : h('span', { class: 'muted' }, t('groups.noMembers')),
      others.length ? h('div', { class: 'row' }, pick,
        h('button', { type: 'button', class: 'small add-member',
          onclick: () => change(() => ctx.api.put(`/v1/admin/groups/${g.id}/members/${encodeURIComponent(pick.value)}`),
            t('groups.memberAdded', { email: emails[pick.value], name: g.name })) }, t('groups.addMember'))) : null);
  };
  const draw = async () => {
    const answer = await ctx.api.get('/v1/admin/groups');
    replace(list, table('groups.caption', [
      { label: 'groups.name', cell: (g) => h('strong', {}, g.name) },
      { label: 'groups.idp', cell: (g) => g.idp_group ?? t('groups.byHand') },
      { label: 'groups.models', cell: (g) => (g.models.length ? g.models.join(', ') : t('groups.allModels')) },
      { label: 'groups.members', cell: memberCell },
      { label: 'admin.actions', cell: (g) => h('button', { type: 'button', class: 'small danger delete-group',
        'aria-label': t('groups.delete.named', { name: g.name }), onclick: () => remove(g) }, t('groups.delete')) },
    ], answer.data, { id: 'groups-table', rowId: (g) => g.id }));
  };
  async function change(call, done) {
    try {
      await call();
      await draw();
      say(done);
    } catch (e) {
      say(e.message, true);
    }
  }
  async function remove(g) {
    if (!confirm(t('groups.delete.confirm', { name: g.name }))) return;
    await change(() => ctx.api.del(`/v1/admin/groups/${g.id}`), t('groups.deleted', { name: g.name }));
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), models: boxes.filter((b) => b.checked).map((b) => b.value) };
    if (idp.value.trim()) body.idp_group = idp.value.trim();
    try {
      await ctx.api.post('/v1/admin/groups', body);
      form.reset();
      await draw();
      say(t('groups.created', { name: body.name }));
      announce(t('groups.created', { name: body.name }));
    } catch (e) {
      say(e.message, true);
    }
  });
  append(container, form, region, list);
  await draw();
}
