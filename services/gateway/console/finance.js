// Finance staff: the trial balance, the settlement positions and the central-bank daily return.
import { call, fetchFile } from './api.js';
import {
  h, clear, field, form, heading, showProblem, problemBox, table, facts, money, when, announce,
  notice, put,
} from './ui.js';

function refreshButton(onclick) {
  return h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick }, 'Refresh'));
}

/// A report that loads on arrival and again on Refresh: `path` asked, `render(body, data)` draws
/// the answer; a refusal is shown in its place, and an answer arriving after the screen was left
/// is dropped.
async function report(container, ctx, { title, path, refreshed, render }) {
  put(container, heading(title));
  const body = h('div', {});
  put(container, refreshButton(async () => {
    await load();
    announce(refreshed);
  }), body);

  async function load() {
    const r = await call('GET', path);
    if (!ctx.isCurrent()) {
      return;
    }
    clear(body);
    if (!r.ok) {
      put(body, problemBox(r.problem));
      return;
    }
    render(body, r.data);
  }
  await load();
}

export async function trialBalance(container, ctx) {
  await report(container, ctx, {
    title: 'Trial balance',
    path: '/v1/ledger/trial-balance',
    refreshed: 'Trial balance refreshed',
    render: (body, data) => {
      put(body, h('p', {}, `As of ${when(data.as_of)}.`));
      if (data.currencies.length === 0) {
        put(body, h('p', { class: 'empty' }, 'The ledger holds no transfer yet.'));
      }
      for (const c of data.currencies) {
        put(body,
          h('h3', {}, `${c.currency}: `, c.balanced
            ? h('span', { class: 'good' }, 'balanced')
            : h('span', { class: 'bad' }, 'NOT balanced')),
          table({
            caption: `Trial balance in ${c.currency}, by account code`,
            rows: c.lines,
            columns: [
              { label: 'Account code', value: (l) => String(l.code) },
              { label: 'Accounts', value: (l) => String(l.accounts), num: true },
              { label: 'Debits posted', value: (l) => money(l.debits_posted), num: true },
              { label: 'Credits posted', value: (l) => money(l.credits_posted), num: true },
              { label: 'Debit balance', value: (l) => money(l.debit_balance), num: true },
              { label: 'Credit balance', value: (l) => money(l.credit_balance), num: true },
              { label: 'Debits pending', value: (l) => money(l.debits_pending), num: true },
              { label: 'Credits pending', value: (l) => money(l.credits_pending), num: true },
            ],
          }),
          facts([
            ['Total debits posted', money(c.total_debits_posted)],
            ['Total credits posted', money(c.total_credits_posted)],
          ]),
        );
      }
    },
  });
}

export async function settlementPositions(container, ctx) {
  await report(container, ctx, {
    title: 'Settlement positions',
    path: '/v1/settlement/positions',
    refreshed: 'Settlement positions refreshed',
    render: (body, p) => {
      const low = p.partners.filter((x) => x.low_float);
      put(body,
        h('p', {}, `As of ${when(p.as_of)}.`),
        low.length ? notice(`Low float: ${low.map((x) => x.partner).join(', ')}. Top up before payouts stop.`, 'warning') : null,
        h('h3', {}, 'Payout partners'),
        table({
          caption: 'Float per mobile-money partner',
          empty: 'No partner is configured.',
          rows: p.partners,
          columns: [
            { label: 'Partner', value: (x) => x.partner },
            { label: 'Float', value: (x) => money(x.float), num: true },
            { label: 'Available', value: (x) => money(x.available), num: true },
            { label: 'In flight', value: (x) => money(x.pending), num: true },
            { label: 'Unconfirmed', value: (x) => money(x.unconfirmed), num: true },
            { label: 'Topped up', value: (x) => money(x.topped_up), num: true },
            { label: 'Owed to partner', value: (x) => money(x.owed_to_partner), num: true },
            { label: 'Low-float threshold', value: (x) => money(x.low_float_threshold), num: true },
            { label: 'Low float', value: (x) => (x.low_float ? h('span', { class: 'bad' }, 'yes') : 'no') },
            { label: 'Open breaks', value: (x) => String(x.open_breaks), num: true },
            { label: 'Configured', value: (x) => (x.configured ? 'yes' : 'no') },
          ],
        }),
        h('h3', {}, 'Cash agents'),
        table({
          caption: 'What Chelete owes each cash agent',
          empty: 'No agent has paid out a voucher.',
          rows: p.agents,
          columns: [
            { label: 'Agent', value: (x) => h('span', { class: 'mono' }, x.agent_id) },
            { label: 'Owed to agent', value: (x) => money(x.owed_to_agent), num: true },
            { label: 'Unconfirmed', value: (x) => money(x.unconfirmed), num: true },
            { label: 'Vouchers redeemed', value: (x) => String(x.redeemed_vouchers), num: true },
          ],
        }),
        h('h3', {}, 'Suspense'),
        facts([
          ['Balance', money(p.suspense.balance)],
          ['Open breaks', String(p.suspense.open_breaks)],
          ['Ledger account', h('span', { class: 'mono' }, p.suspense.ledger_account_id)],
        ]),
      );
    },
  });
}

/// Yesterday as a business day: the calendar day at +02:00 (docs/central-bank.md).
function previousBusinessDay() {
  const now = new Date(Date.now() + 2 * 3600 * 1000);
  now.setUTCDate(now.getUTCDate() - 1);
  return now.toISOString().slice(0, 10);
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: filename, hidden: true });
  put(document.body, link);
  link.click();
  link.remove();
  // Revoked later: revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export async function dailyReturn(container) {
  const result = h('div', {});
  const downloadForm = form({
    label: 'Download the central-bank daily return',
    submitLabel: 'Download',
    rowLayout: true,
    fields: [
      field({ name: 'date', label: 'Business day', type: 'date', value: previousBusinessDay(), required: true, hint: 'A day at +02:00 that has ended.' }),
      field({ name: 'report', label: 'Report', kind: 'select', value: 'cross_border', options: [['cross_border', 'Cross-border return'], ['thresholds', 'Threshold report (FIC)']] }),
      field({ name: 'format', label: 'Format', kind: 'select', value: 'csv', options: [['csv', 'CSV'], ['json', 'JSON']] }),
    ],
    onSubmit: async (el, values) => {
      clear(result);
      const r = await fetchFile('/v1/reports/central-bank/daily',
        { date: values.date, format: values.format, report: values.report },
        `chelete-${values.report}-${values.date}.${values.format}`);
      if (!r.ok) {
        showProblem(el, r.problem);
        return;
      }
      saveBlob(r.blob, r.filename);
      const text = await r.blob.text();
      let rows;
      if (values.format === 'csv') {
        rows = text.split('\r\n').filter((line) => line !== '').length - 1;
      } else {
        const parsed = JSON.parse(text);
        rows = typeof parsed.count === 'number' ? parsed.count : (parsed.items || []).length;
      }
      const version = r.headers.get('X-Chelete-Return-Version');
      const message = `Downloaded ${r.filename}: ${rows} row${rows === 1 ? '' : 's'}${version ? `, version ${version}` : ''}.`;
      put(result, notice(message));
      if (r.headers.get('X-Chelete-Return-Stale') === 'true') {
        put(result, notice('A remittance of this day arrived after the file was produced: regenerate it before filing.', 'warning'));
      }
      announce(message);
    },
  });
  put(container,
    heading('Central-bank daily return'),
    h('p', {}, 'The day’s cross-border return (SARB BOP categories and the travel-rule record) or the FIC threshold report, as stored: the same bytes every time until it is regenerated.'),
    downloadForm,
    result,
  );
}
