// Ministry officers: the register of recruitment agencies, decisions on them, and complaints.
import { call } from './api.js';
import {
  h, clear, field, form, heading, showProblem, problemBox, table, pagedList, facts, when, words,
  statusBadge, announce, notice, put,
} from './ui.js';

const PAGE_SIZE = 20;

const AGENCY_STATUSES = ['applied', 'under_review', 'licensed', 'renewal_due', 'expired', 'rejected',
  'suspended', 'revoked', 'banned'];

const AGENCY_ACTIONS = {
  start_review: 'Start review',
  approve: 'Approve (issue licence)',
  reject: 'Reject',
  suspend: 'Suspend',
  reinstate: 'Reinstate',
  revoke: 'Revoke',
  renew: 'Renew',
  ban: 'Ban',
};

/// The actions docs/registry.md allows from each status, offered first; the registry decides
/// (a refused action answers 409, shown by the action field).
const ACTIONS_FROM = {
  applied: ['start_review', 'reject', 'ban'],
  under_review: ['approve', 'reject', 'ban'],
  licensed: ['suspend', 'revoke', 'renew', 'ban'],
  renewal_due: ['renew', 'suspend', 'revoke', 'ban'],
  suspended: ['reinstate', 'revoke', 'ban'],
  expired: ['ban'],
  rejected: ['ban'],
  revoked: ['ban'],
  banned: [],
};

const COMPLAINT_STATUSES = ['open', 'investigating', 'resolved', 'dismissed', 'referred_nrm'];
const COMPLAINT_ACTIONS = {
  investigate: 'Investigate',
  resolve: 'Resolve',
  dismiss: 'Dismiss',
  refer_nrm: 'Refer to the National Referral Mechanism',
};
const COMPLAINT_ACTIONS_FROM = {
  open: ['investigate', 'resolve', 'dismiss', 'refer_nrm'],
  investigating: ['resolve', 'dismiss', 'refer_nrm'],
};

// Kept while the officer moves between the list and an agency, so Back finds the same search.
const agencySearch = { q: '', status: '', cursors: [null] };
const complaintSearch = { status: 'open', agency_id: '', cursors: [null] };

export async function agencyList(container, ctx) {
  const results = h('div', { 'aria-live': 'polite' });
  const searchForm = form({
    label: 'Search agencies',
    submitLabel: 'Search',
    rowLayout: true,
    fields: [
      field({ name: 'q', label: 'Name, licence or registration number', value: agencySearch.q, maxlength: 100 }),
      field({
        name: 'status', label: 'Status', kind: 'select', value: agencySearch.status,
        options: [['', 'Any status'], ...AGENCY_STATUSES.map((s) => [s, words(s)])],
      }),
    ],
    onSubmit: async (el, values) => {
      agencySearch.q = values.q.trim();
      agencySearch.status = values.status;
      agencySearch.cursors = [null];
      await load(el);
      announce('Search done');
    },
  });
  searchForm.setAttribute('role', 'search');
  put(container, heading('Agencies'), searchForm, results);

  const load = pagedList({
    ctx,
    results,
    state: agencySearch,
    fetchPage: (cursor) => call('GET', '/v1/agencies', {
      query: { q: agencySearch.q, status: agencySearch.status, limit: PAGE_SIZE, cursor },
    }),
    tableOf: (data, page) => table({
      caption: `Agencies, page ${page}`,
      empty: 'No agency matches this search.',
      rows: data.items,
      columns: [
        { label: 'Name', value: (a) => h('a', { href: `#/agencies/${encodeURIComponent(a.id)}` }, a.name) },
        { label: 'Status', value: (a) => statusBadge(a.status) },
        { label: 'Registration no.', value: (a) => a.registration_no },
        { label: 'Licence no.', value: (a) => a.licence_no || '—' },
        { label: 'Valid until', value: (a) => a.valid_until || '—' },
      ],
    }),
    pagerLabel: 'Pages of agencies',
  });
  await load(searchForm);
}

/// Every decision on the agency, oldest first: the history answers a page at a time (at most
/// 200), and the newest decision, the one an officer has just recorded, is on the last page.
async function wholeHistory(id) {
  const items = [];
  let cursor = null;
  for (let pages = 0; pages < 50; pages += 1) {
    const query = cursor === null ? '?limit=200' : `?limit=200&cursor=${encodeURIComponent(cursor)}`;
    const page = await call('GET', `/v1/agencies/${encodeURIComponent(id)}/history${query}`);
    if (!page.ok) {
      return page;
    }
    items.push(...(page.data.items || []));
    cursor = page.data.next_cursor;
    if (cursor === null || cursor === undefined) {
      break;
    }
  }
  return { ok: true, status: 200, data: { items } };
}

export async function agencyDetail(container, id, ctx) {
  put(container, h('p', {}, h('a', { href: '#/agencies' }, 'Back to the agencies')));
  const [agency, history] = await Promise.all([
    call('GET', `/v1/agencies/${encodeURIComponent(id)}`),
    wholeHistory(id),
  ]);
  if (!ctx.isCurrent()) {
    return;
  }
  if (!agency.ok) {
    put(container, heading('Agency not found'), problemBox(agency.problem));
    return;
  }
  const a = agency.data;
  const complaints = Object.entries(a.complaints_by_category || {});
  put(container,
    heading(a.name),
    facts([
      ['Status', statusBadge(a.status)],
      ['Registration no.', a.registration_no],
      ['Licence no.', a.licence_no],
      ['Valid until', a.valid_until],
      ['Complaints', complaints.length
        ? complaints.map(([category, n]) => `${words(category)}: ${n}`).join(', ')
        : 'none'],
    ]),
    h('p', {}, h('a', { href: `#/complaints?agency=${encodeURIComponent(a.id)}`, 'data-agency': a.id, onclick: (e) => {
      e.preventDefault();
      complaintSearch.agency_id = a.id;
      complaintSearch.status = '';
      complaintSearch.cursors = [null];
      ctx.navigate('complaints');
    } }, 'Complaints about this agency')),
  );

  const allowed = ACTIONS_FROM[a.status] || Object.keys(AGENCY_ACTIONS);
  if (allowed.length === 0) {
    put(container, h('p', {}, 'No decision can be taken on an agency in this status.'));
  } else {
    const others = Object.keys(AGENCY_ACTIONS).filter((x) => !allowed.includes(x));
    const decisionForm = form({
      label: 'Decide on this agency',
      submitLabel: 'Record decision',
      className: 'panel',
      fields: [
        h('h3', {}, 'Decision'),
        field({
          name: 'action', label: 'Action', kind: 'select', value: allowed[0],
          hint: others.length ? `From “${words(a.status)}” the register allows: ${allowed.map((x) => AGENCY_ACTIONS[x]).join(', ')}.` : '',
          options: allowed.map((x) => [x, AGENCY_ACTIONS[x]]),
        }),
        field({
          name: 'reason', label: 'Reason', kind: 'textarea', required: true, maxlength: 2000,
          hint: 'Recorded in the agency’s history with your name; at least 3 characters.',
        }),
      ],
      onSubmit: async (el, values) => {
        const r = await call('POST', `/v1/agencies/${encodeURIComponent(a.id)}/decisions`, {
          body: { action: values.action, reason: values.reason.trim() },
        });
        if (!r.ok) {
          const problem = r.status === 409
            ? { ...r.problem, errors: [{ field: 'action', message: r.problem.detail || 'not allowed from the current status' }, ...(r.problem.errors || [])] }
            : r.problem;
          showProblem(el, problem);
          return;
        }
        const message = `Decision recorded: ${a.name} is now ${words(r.data.status)}.`;
        announce(message);
        clear(container);
        await agencyDetail(container, id, ctx);
        const title = document.getElementById('view-heading');
        title.after(notice(message));
        title.focus();
      },
    });
    put(container, decisionForm);
  }

  put(container, h('h3', {}, 'History'));
  if (!history.ok) {
    put(container, problemBox(history.problem));
    return;
  }
  put(container, table({
    caption: `Decisions on ${a.name}, oldest first`,
    empty: 'No decision yet.',
    rows: history.data.items,
    columns: [
      { label: 'When', value: (d) => when(d.decided_at) },
      { label: 'Action', value: (d) => words(d.action) },
      { label: 'From', value: (d) => words(d.from_status) },
      { label: 'To', value: (d) => words(d.to_status) },
      { label: 'Reason', value: (d) => d.reason },
      { label: 'Officer', value: (d) => h('span', { class: 'mono' }, d.officer_id) },
    ],
  }));
}

export async function complaintList(container, ctx) {
  const query = /[?&]agency=([^&]+)/.exec(window.location.hash);
  if (query) {
    complaintSearch.agency_id = decodeURIComponent(query[1]);
  }
  const results = h('div', {});
  const decisionArea = h('div', {});
  const filterForm = form({
    label: 'Filter complaints',
    submitLabel: 'Show complaints',
    rowLayout: true,
    fields: [
      field({
        name: 'status', label: 'Status', kind: 'select', value: complaintSearch.status,
        options: [['', 'Any status'], ...COMPLAINT_STATUSES.map((s) => [s, words(s)])],
      }),
      field({ name: 'agency_id', label: 'Agency id', value: complaintSearch.agency_id, hint: 'Optional: only complaints about this agency.' }),
    ],
    onSubmit: async (el, values) => {
      complaintSearch.status = values.status;
      complaintSearch.agency_id = values.agency_id.trim();
      complaintSearch.cursors = [null];
      await load(el);
      announce('Complaints listed');
    },
  });
  filterForm.setAttribute('role', 'search');
  put(container, heading('Complaints'), filterForm, decisionArea, results);

  function openDecision(c, el) {
    clear(decisionArea);
    const allowed = COMPLAINT_ACTIONS_FROM[c.status] || [];
    const panel = h('section', { class: 'panel', 'aria-labelledby': `complaint-${c.id}` },
      h('h3', { id: `complaint-${c.id}`, tabindex: '-1' }, `Complaint ${c.tracking_no}`),
      facts([
        ['Status', statusBadge(c.status)],
        ['Category', words(c.category)],
        ['Filed', when(c.created_at)],
        ['Agency', h('a', { href: `#/agencies/${encodeURIComponent(c.agency_id)}` }, c.agency_id)],
        ['Worker', h('span', { class: 'mono' }, c.worker_id)],
        ['Description', c.description],
      ]));
    if (allowed.length === 0) {
      put(panel, h('p', {}, 'This complaint is closed: it does not change any more.'));
    } else {
      put(panel, form({
        label: `Decide complaint ${c.tracking_no}`,
        submitLabel: 'Record decision',
        fields: [
          field({ name: 'action', label: 'Action', kind: 'select', value: allowed[0], options: allowed.map((x) => [x, COMPLAINT_ACTIONS[x]]) }),
          field({ name: 'note', label: 'Note', kind: 'textarea', required: true, maxlength: 2000, hint: 'Why; at least 3 characters.' }),
        ],
        onSubmit: async (formEl, values) => {
          const r = await call('POST', `/v1/complaints/${encodeURIComponent(c.id)}/decisions`, {
            body: { action: values.action, note: values.note.trim() },
          });
          if (!r.ok) {
            showProblem(formEl, r.status === 409
              ? { ...r.problem, errors: [{ field: 'action', message: r.problem.detail || 'not allowed now' }] }
              : r.problem);
            return;
          }
          const message = `Complaint ${c.tracking_no} is now ${words(r.data.status)}.`;
          put(clear(decisionArea), notice(message));
          announce(message);
          await load(el);
          decisionArea.querySelector('p').setAttribute('tabindex', '-1');
          decisionArea.querySelector('p').focus();
        },
      }));
    }
    put(panel, h('button', { type: 'button', class: 'secondary', onclick: () => clear(decisionArea) }, 'Close'));
    put(decisionArea, panel);
    panel.querySelector('h3').focus();
  }

  const load = pagedList({
    ctx,
    results,
    state: complaintSearch,
    fetchPage: (cursor) => call('GET', '/v1/complaints', {
      query: { status: complaintSearch.status, agency_id: complaintSearch.agency_id, limit: PAGE_SIZE, cursor },
    }),
    tableOf: (data, page, el) => table({
      caption: `Complaints, page ${page}`,
      empty: 'No complaint matches.',
      rows: data.items,
      columns: [
        { label: 'Tracking no.', value: (c) => c.tracking_no },
        { label: 'Status', value: (c) => statusBadge(c.status) },
        { label: 'Category', value: (c) => words(c.category) },
        { label: 'Filed', value: (c) => when(c.created_at) },
        { label: 'Description', value: (c) => { const text = c.description || ''; return text.length > 120 ? `${text.slice(0, 120)}…` : text; } },
        { label: 'Work on it', value: (c) => h('button', { type: 'button', class: 'secondary', onclick: () => openDecision(c, el) }, `Open ${c.tracking_no}`) },
      ],
    }),
    pagerLabel: 'Pages of complaints',
  });
  await load(filterForm);
}
