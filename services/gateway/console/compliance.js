// Compliance officers: the queue of held remittances (and other cases), oldest first, and the
// decision on each. Every list and read is access-logged by the compliance service.
import { call, newIdempotencyKey } from './api.js';
import {
  h, clear, field, form, heading, showProblem, problemBox, table, pagedList, facts, money, when,
  words, statusBadge, announce, notice, put,
} from './ui.js';

const PAGE_SIZE = 20;
const KINDS = ['held_remittance', 'attempted_remittance', 'trafficking_alert'];
const STATUSES = ['open', 'approved', 'rejected', 'closed'];
const queue = { status: 'open', kind: 'held_remittance', cursors: [null] };

export async function caseQueue(container, ctx) {
  const results = h('div', {});
  const filterForm = form({
    label: 'Filter cases',
    submitLabel: 'Show cases',
    rowLayout: true,
    fields: [
      field({
        name: 'kind', label: 'Kind', kind: 'select', value: queue.kind,
        options: [['', 'Any kind'], ...KINDS.map((k) => [k, words(k)])],
      }),
      field({
        name: 'status', label: 'Status', kind: 'select', value: queue.status,
        options: [['', 'Any status'], ...STATUSES.map((s) => [s, words(s)])],
      }),
    ],
    onSubmit: async (el, values) => {
      queue.kind = values.kind;
      queue.status = values.status;
      queue.cursors = [null];
      await load(el);
      announce('Cases listed');
    },
  });
  filterForm.setAttribute('role', 'search');
  put(container, heading('Held remittances'),
    h('p', {}, 'Oldest first, the order the queue is worked in. Open a case to read its reasons and decide it.'),
    filterForm, results);

  const load = pagedList({
    ctx,
    results,
    state: queue,
    fetchPage: (cursor) => call('GET', '/v1/compliance/cases', {
      query: { kind: queue.kind, status: queue.status, limit: PAGE_SIZE, cursor },
    }),
    tableOf: (data, page) => table({
      caption: `Compliance cases, page ${page}`,
      empty: 'No case in this queue.',
      rows: data.items,
      columns: [
        { label: 'Opened', value: (c) => h('a', { href: `#/cases/${encodeURIComponent(c.id)}` }, when(c.opened_at)) },
        { label: 'Kind', value: (c) => words(c.kind) },
        { label: 'Status', value: (c) => statusBadge(c.status) },
        { label: 'Amount', value: (c) => money(c.amount), num: true },
        { label: 'Reasons', value: (c) => (c.reasons || []).map((x) => words(x.code)).join(', ') || '—' },
      ],
    }),
    pagerLabel: 'Pages of cases',
  });
  await load(filterForm);
}

export async function caseDetail(container, id, ctx, done = '') {
  put(container, h('p', {}, h('a', { href: '#/cases' }, 'Back to the queue')));
  const r = await call('GET', `/v1/compliance/cases/${encodeURIComponent(id)}`);
  if (!ctx.isCurrent()) {
    return;
  }
  if (!r.ok) {
    put(container, heading('Case not found'), problemBox(r.problem));
    return;
  }
  const c = r.data;
  put(container, heading(`Case: ${words(c.kind)}`));
  if (done) {
    put(container, notice(done));
  }
  let remittanceStatus = null;
  if (c.remittance_id) {
    const rem = await call('GET', `/v1/remittances/${encodeURIComponent(c.remittance_id)}`);
    remittanceStatus = rem.ok ? statusBadge(rem.data.status) : 'not readable now';
  }
  put(container,
    facts([
      ['Status', statusBadge(c.status)],
      ['Opened', when(c.opened_at)],
      ['Amount', money(c.amount)],
      c.remittance_id ? ['Remittance', h('span', { class: 'mono' }, c.remittance_id)] : null,
      c.remittance_id ? ['Remittance status', remittanceStatus] : null,
      c.sender_id ? ['Sender', h('span', { class: 'mono' }, c.sender_id)] : null,
      c.alert ? ['Complaint', `${c.alert.tracking_no} (agency ${c.alert.agency_id})`] : null,
      ['Decided', c.decided_at ? `${when(c.decided_at)} by ${c.decided_by}` : 'not yet'],
      c.note ? ['Note', c.note] : null,
    ]),
    h('h3', {}, 'Why it was opened'),
    (c.reasons || []).length
      ? h('ul', {}, (c.reasons || []).map((x) => h('li', {}, h('strong', {}, `${words(x.code)}: `), x.text)))
      : h('p', {}, 'No reason recorded.'),
  );

  if (c.status === 'open') {
    const actions = c.kind === 'trafficking_alert'
      ? [['close', 'Close the alert']]
      : [['approve', 'Approve: release the money'], ['reject', 'Reject: refund the sender']];
    // One key per decision the officer means: a retry of the same body after a lost answer is
    // the same request (the API answers it again); a changed body is a new decision.
    let pending = null;
    put(container, form({
      label: 'Decide this case',
      submitLabel: 'Record decision',
      className: 'panel',
      fields: [
        h('h3', {}, 'Decision'),
        field({ name: 'action', label: 'Decision', kind: 'select', value: actions[0][0], options: actions }),
        field({ name: 'note', label: 'Note', kind: 'textarea', required: true, maxlength: 2000, hint: 'What you checked and why; kept with the case.' }),
      ],
      onSubmit: async (el, values) => {
        const body = { action: values.action, note: values.note.trim() };
        const text = JSON.stringify(body);
        if (!pending || pending.text !== text) {
          pending = { text, key: newIdempotencyKey() };
        }
        const d = await call('POST', `/v1/compliance/cases/${encodeURIComponent(c.id)}/decisions`, {
          body, idempotencyKey: pending.key,
        });
        if (d.status === 0 || d.status >= 500) {
          showProblem(el, d.problem);  // the same key is used again on retry
          return;
        }
        pending = null;
        if (!d.ok) {
          showProblem(el, d.status === 409 && !(d.problem.errors || []).length
            ? { ...d.problem, errors: [{ field: 'action', message: d.problem.detail || 'the case was decided already' }] }
            : d.problem);
          return;
        }
        const message = `Case ${words(d.data.status)}.`;
        announce(message);
        clear(container);
        await caseDetail(container, id, ctx, message);
        document.getElementById('view-heading')?.focus();
      },
    }));
  }

  put(container, h('h3', {}, 'Decisions'), table({
    caption: 'Decisions on this case',
    empty: 'No decision yet.',
    rows: c.decisions,
    columns: [
      { label: 'When', value: (d) => when(d.at) },
      { label: 'Action', value: (d) => words(d.action) },
      { label: 'Officer', value: (d) => h('span', { class: 'mono' }, d.officer_id) },
      { label: 'Note', value: (d) => d.note },
    ],
  }));
}
