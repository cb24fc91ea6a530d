// The staff console (/console) in Debian's chromium, driven by playwright-core (issue 8).
// Run by console_browser_itest.sh against a stack that scripts/run.sh started; it seeds that
// stack through the public API only (plus one SQL update: a return is for a day that has ended,
// so today's paid remittance is moved back a day, as central_bank_http_itest does), then works
// as each staff role would. Screenshots go to CONSOLE_ARTIFACTS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function env(name) {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (console_browser_itest.sh sets it)`);
  return value;
}

const base = env('CONSOLE_URL');
const artifacts = env('CONSOLE_ARTIFACTS');
const adminPassword = env('CONSOLE_ADMIN_PASSWORD');
const psql = env('CONSOLE_PSQL');
const pgPort = env('CONSOLE_PG_PORT');
const executablePath = process.env.CONSOLE_CHROMIUM || '/usr/bin/chromium';

const PASSWORD = 'console-test-password-1';
const STAFF = {
  ministry: { username: 'ministry.officer', role: 'ministry_officer', display_name: 'Ministry Officer' },
  // Records the long agency history: its requests must not spend the console user's rate limit.
  records: { username: 'records.officer', role: 'ministry_officer', display_name: 'Records Officer' },
  compliance: { username: 'compliance.officer', role: 'compliance_officer', display_name: 'Compliance Officer' },
  finance: { username: 'finance.officer', role: 'finance', display_name: 'Finance Officer' },
  agent: { username: 'agent.johannesburg', role: 'agent', display_name: 'Cash Agent', country: 'ZA' },
};
const STEP = 15000; // the longest any one browser step may take

const digits = (n) => Array.from({ length: n }, () => randomInt(10)).join('');
const seed = {};
let browser;

// --- the API, for seeding and for checking what the console did ---

async function api(method, path, { token, body } = {}) {
  const headers = {};
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (method === 'POST') {
    headers['Idempotency-Key'] = randomUUID();
  }
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: text carries it
  }
  return { status: res.status, json, text, headers: res.headers };
}

async function expectStatus(promise, status) {
  const r = await promise;
  assert.equal(r.status, status, `${status} expected, got ${r.status}: ${r.text}`);
  return r.json;
}

async function waitUntil(what, check, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function staffToken(username, password = PASSWORD) {
  return (await expectStatus(api('POST', '/v1/auth/token', { body: { username, password } }), 200)).access_token;
}

/// A worker with a wallet of R1000.00 (cash in at the agent) and one M-Pesa beneficiary.
async function newWorker(givenName, familyName) {
  const phone = `+278${digits(8)}`;
  const worker = await expectStatus(api('POST', '/v1/workers', {
    body: {
      given_name: givenName,
      family_name: familyName,
      date_of_birth: '1990-04-01',
      phone,
      pin: '48213',
      passport_number: `RB${digits(7)}`,
      consents: [{ purpose: 'registration', granted: true }],
    },
  }), 201);
  const token = (await expectStatus(api('POST', '/v1/auth/token', { body: { phone, pin: '48213' } }), 200)).access_token;
  const beneficiary = await expectStatus(api('POST', `/v1/workers/${worker.id}/beneficiaries`, {
    token,
    body: { full_name: 'Palesa Nthako', phone: `+26658${digits(6)}`, relationship: 'parent', payout_method: 'mpesa' },
  }), 201);
  const deposit = await expectStatus(api('POST', '/v1/deposits', {
    token: seed.agentToken,
    body: { worker_id: worker.id, amount: { amount: '1000.00', currency: 'ZAR' } },
  }), 201);
  await waitUntil('the deposit', async () =>
    (await api('GET', `/v1/deposits/${deposit.id}`, { token: seed.agentToken })).json?.status === 'completed');
  return { id: worker.id, token, beneficiary: beneficiary.id };
}

async function send(worker, amount) {
  const quote = await expectStatus(api('POST', '/v1/quotes', {
    token: worker.token,
    body: { send_amount: { amount, currency: 'ZAR' }, payout_method: 'mpesa' },
  }), 201);
  const remittance = await expectStatus(api('POST', '/v1/remittances', {
    token: worker.token,
    body: { quote_id: quote.id, beneficiary_id: worker.beneficiary, purpose: 'bop_417', source_of_funds: 'salary' },
  }), 202);
  return remittance.id;
}

async function remittanceStatus(worker, id) {
  return (await api('GET', `/v1/remittances/${id}`, { token: worker.token })).json?.status;
}

function sql(statement) {
  const r = spawnSync(psql, ['-h', '127.0.0.1', '-p', pgPort, '-U', 'chelete', '-d', 'chelete', '-X', '-q',
    '-tA', '-v', 'ON_ERROR_STOP=1', '-c', statement], { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, `psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

async function seedEverything() {
  const admin = await staffToken('admin', adminPassword);
  for (const s of Object.values(STAFF)) {
    await expectStatus(api('POST', '/v1/staff', { token: admin, body: { ...s, password: PASSWORD } }), 201);
  }
  seed.agentToken = await staffToken(STAFF.agent.username);
  const ministry = await staffToken(STAFF.ministry.username);

  // An agency whose review has started: the officer approves it in the browser.
  seed.agencyName = `Maluti Recruitment ${digits(4)}`;
  const agency = await expectStatus(api('POST', '/v1/agencies', {
    token: ministry,
    body: {
      name: seed.agencyName,
      registration_no: `REG-${digits(6)}`,
      address: '12 Kingsway, Maseru 100',
      contact_phone: `+2662231${digits(4)}`,
      directors: [{ full_name: 'Palesa Mohapi' }],
    },
  }), 201);
  seed.agencyId = agency.id;
  // More agencies than one page of the console's list (20): the pager is used.
  for (let i = 1; i <= 23; i += 1) {
    await expectStatus(api('POST', '/v1/agencies', {
      token: ministry,
      body: {
        name: `Pager Agency ${String(i).padStart(2, '0')}`,
        registration_no: `PAGE-${digits(6)}`,
        address: '1 Main Road, Mafeteng',
        contact_phone: `+2662231${digits(4)}`,
        directors: [{ full_name: 'Thabo Mokoena' }],
      },
    }), 201);
  }
  await expectStatus(api('POST', `/v1/agencies/${agency.id}/decisions`, {
    token: ministry, body: { action: 'start_review', reason: 'application complete' },
  }), 200);

  // A sender on the watchlist: held for the compliance officer.
  seed.listed = await newWorker('Lerato', 'Ramakatsa');
  seed.heldRemittance = await send(seed.listed, '300.00');
  await waitUntil('the listed sender\'s remittance to be held', async () =>
    (await remittanceStatus(seed.listed, seed.heldRemittance)) === 'held');

  // A sender off the list: paid out by the M-Pesa simulator, and a complaint about the agency.
  seed.clean = await newWorker('Teboho', 'Lebona');
  const complaint = await expectStatus(api('POST', `/v1/agencies/${agency.id}/complaints`, {
    token: seed.clean.token,
    body: { category: 'fees_charged', description: 'The agency took M2,000 before placing me.' },
  }), 201);
  seed.complaint = complaint;
  seed.paidRemittance = await send(seed.clean, '500.00');
  await waitUntil('the clean sender\'s remittance to be paid', async () =>
    (await remittanceStatus(seed.clean, seed.paidRemittance)) === 'paid', 60000);

  // The day's activity: the return is for a day that has ended; move the payment back a day in
  // the central-bank service's record, then have finance regenerate that day (as the e2e test).
  await waitUntil('remit.completed at the central-bank service', async () =>
    sql(`SELECT count(*) FROM cbank.remittances WHERE remittance_id = '${seed.paidRemittance}'`) === '1');
  seed.returnDay = sql(
    'UPDATE cbank.remittances SET completed_at = completed_at - interval \'1 day\', '
    + 'record = jsonb_set(record, \'{completed_at}\', to_jsonb(to_char((completed_at - interval \'1 day\') '
    + 'AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\'))) '
    + `WHERE remittance_id = '${seed.paidRemittance}' `
    + 'RETURNING ((completed_at AT TIME ZONE \'UTC\') + interval \'2 hours\')::date::text',
  );
  assert.match(seed.returnDay, /^\d{4}-\d{2}-\d{2}$/);
  const finance = await staffToken(STAFF.finance.username);
  await expectStatus(api('POST', `/v1/reports/central-bank/daily/${seed.returnDay}/regenerate`, {
    token: finance, body: { reason: 'the console test moved a remittance into this day' },
  }), 200);
}

// --- the browser ---

/// A page whose script errors and CSP violations fail the test (failed fetches, like the
/// refused login, are expected and not counted).
async function newPage(options = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  context.setDefaultTimeout(STEP);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      page.problems.push(`console error: ${m.text()}`);
    }
  });
  return page;
}

async function closePage(page) {
  assert.deepEqual(page.problems, [], 'the console logged errors');
  await page.context().close();
}

/// Runs fn with a fresh page; a failing step leaves a screenshot named after the test.
async function withPage(name, options, fn) {
  const page = await newPage(options);
  try {
    await fn(page);
  } catch (e) {
    await page.screenshot({ path: join(artifacts, `FAILED-${name}.png`), fullPage: true }).catch(() => {});
    await page.context().close();
    throw e;
  }
  await closePage(page);
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/// Logs in with the keyboard only: type, Tab to the password, Enter.
async function logIn(page, username, password = PASSWORD) {
  await page.goto(`${base}/console`);
  await page.getByLabel('Username').focus();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'password', 'Tab goes from username to password');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

async function loggedIn(page) {
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'view-heading');
}

/// Every form control on the page has a label.
async function assertLabelled(page) {
  const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea'))
    .filter((c) => c.type !== 'hidden' && c.labels.length === 0)
    .map((c) => c.name || c.outerHTML));
  assert.deepEqual(unlabelled, [], 'controls without a label');
}

async function navSections(page) {
  return page.locator('#nav-list a').allTextContents();
}

/// The visible error of a control, found through its aria-describedby, once the console has
/// marked the control invalid (the API's answer may still be on its way).
async function errorOf(page, control) {
  await page.waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await control.elementHandle(),
    { timeout: STEP });
  const ids = (await control.getAttribute('aria-describedby')).split(' ');
  const error = page.locator(`#${ids[ids.length - 1]}`);
  await error.waitFor({ state: 'visible' });
  return error.textContent();
}

before(async () => {
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    timeout: 30000,
  });
  await seedEverything();
}, { timeout: 120000 });

after(async () => {
  await browser?.close();
});

test('the console is served with a strict CSP, its types and revalidation', async () => {
  const page = await api('GET', '/console');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html; charset=utf-8/);
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe/);
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  const etag = page.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{64}"$/);
  const again = await fetch(`${base}/console`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const app = await api('GET', '/console/app.js');
  assert.equal(app.status, 200);
  assert.match(app.headers.get('content-type'), /^text\/javascript/);
  assert.match((await api('GET', '/console/console.css')).headers.get('content-type'), /^text\/css/);
  assert.equal((await api('GET', '/console/missing.js')).status, 404);
  assert.equal((await api('GET', '/console/secrets.env')).status, 400);
});

test('a wrong password is refused with a message, and empty fields are named', () => withPage('login', {}, async (page) => {
  await page.goto(`${base}/console`);
  await assertLabelled(page);
  await page.getByRole('button', { name: 'Log in' }).click();
  assert.match(await errorOf(page, page.getByLabel('Username')), /Username: is required/);
  assert.match(await errorOf(page, page.getByLabel('Password')), /Password: is required/);
  await shot(page, '01-login-required-fields');

  await logIn(page, STAFF.ministry.username, 'not-the-password');
  const alert = page.locator('form .form-error');
  await alert.waitFor({ state: 'visible' });
  assert.match(await alert.textContent(), /Wrong username or password/);
  assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0);
  await shot(page, '02-login-wrong-password');
}));

test('a ministry officer approves an agency with a reason and works a complaint', () => withPage('ministry', {}, async (page) => {
  await logIn(page, STAFF.ministry.username);
  await loggedIn(page);
  assert.deepEqual(await navSections(page), ['Agencies', 'Complaints']);

  await page.getByLabel('Name, licence or registration number').fill(seed.agencyName);
  await page.getByLabel('Status', { exact: true }).selectOption('under_review');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: seed.agencyName }).click();
  await page.getByRole('heading', { name: seed.agencyName }).waitFor();
  await assertLabelled(page);
  await page.getByLabel('Action').selectOption('approve');

  // Too short a reason: the API's 422 names the field, and the console shows it there.
  await page.getByLabel('Reason').fill('ok');
  await page.getByRole('button', { name: 'Record decision' }).click();
  assert.match(await errorOf(page, page.getByLabel('Reason')), /^Reason: .+/);
  assert.equal(await page.evaluate(() => document.activeElement.name), 'reason', 'focus goes to the field in error');
  await shot(page, '03-agency-reason-too-short');

  await page.getByLabel('Reason').fill('Inspection passed; fees schedule complies with the regulations');
  await page.getByRole('button', { name: 'Record decision' }).click();
  await page.locator('#view').getByText(`${seed.agencyName} is now licensed`).waitFor();
  await page.getByRole('cell', { name: 'Inspection passed; fees schedule complies with the regulations' }).waitFor();
  await shot(page, '04-agency-approved');

  const ministry = await staffToken(STAFF.ministry.username);
  const agency = await expectStatus(api('GET', `/v1/agencies/${seed.agencyId}`), 200);
  assert.equal(agency.status, 'licensed');
  assert.match(agency.licence_no, /^LS-RA-/);
  const history = await expectStatus(api('GET', `/v1/agencies/${seed.agencyId}/history`, { token: ministry }), 200);
  const last = history.items[history.items.length - 1];
  assert.equal(last.action, 'approve');
  assert.equal(last.reason, 'Inspection passed; fees schedule complies with the regulations');

  // A long history (more than one page of the API's largest, 200): the console shows it whole,
  // the newest decision included. It showed only the first page once the history paged.
  const records = await staffToken(STAFF.records.username);
  const decide = async (action, reason) => {
    for (;;) {
      const r = await api('POST', `/v1/agencies/${seed.agencyId}/decisions`, { token: records, body: { action, reason } });
      if (r.status === 429) {
        await new Promise((done) => setTimeout(done, 1000 * Number(r.headers.get('retry-after') || 1)));
        continue;
      }
      assert.equal(r.status, 200, r.text);
      return;
    }
  };
  for (let i = 1; i <= 100; i += 1) {
    await decide('suspend', `Inspection round ${i}: passports retained`);
    await decide('reinstate', `Inspection round ${i}: passports returned`);
  }
  // Away and back to the agency (the view is the agency's already: the same hash loads nothing).
  await page.evaluate(() => { window.location.hash = '#/agencies'; });
  await page.getByRole('heading', { name: 'Agencies', exact: true }).waitFor();
  await page.evaluate((id) => { window.location.hash = `#/agencies/${encodeURIComponent(id)}`; }, seed.agencyId);
  await page.getByRole('heading', { name: seed.agencyName }).waitFor();
  const decisions = page.getByRole('table', { name: /^Decisions on / });
  await decisions.getByRole('cell', { name: 'Inspection round 100: passports returned' }).waitFor();
  assert.equal(await decisions.getByRole('cell', { name: /^Inspection round \d+: passports/ }).count(), 200);
  // The API's pages, followed to the end, hold each decision once, oldest first (the cursor is
  // the decision's number: ordered as text, page two overlapped page one once ids reached 100).
  const paged = [];
  for (let cursor = null, pages = 0; pages < 10; pages += 1) {
    const q = cursor === null ? '?limit=200' : `?limit=200&cursor=${encodeURIComponent(cursor)}`;
    const p = await expectStatus(api('GET', `/v1/agencies/${seed.agencyId}/history${q}`, { token: records }), 200);
    paged.push(...p.items);
    cursor = p.next_cursor;
    if (cursor === null) {
      break;
    }
  }
  assert.equal(paged.length, history.items.length + 200);
  assert.equal(paged[paged.length - 1].reason, 'Inspection round 100: passports returned');

  // The complaint about it: opened from the list and put under investigation.
  await page.getByRole('link', { name: 'Complaints', exact: true }).click();
  await page.getByRole('heading', { name: 'Complaints' }).waitFor();
  await page.getByRole('button', { name: `Open ${seed.complaint.tracking_no}` }).click();
  await page.getByLabel('Note').fill('Asked the agency for its fee receipts');
  await page.getByRole('button', { name: 'Record decision' }).click();
  await page.locator('#view').getByText(`Complaint ${seed.complaint.tracking_no} is now investigating.`).waitFor();
  await assertLabelled(page);
  await shot(page, '05-complaint-investigating');
  const complaints = await expectStatus(api('GET', `/v1/complaints?agency_id=${seed.agencyId}`, { token: ministry }), 200);
  assert.equal(complaints.items.find((c) => c.id === seed.complaint.id).status, 'investigating');
}));

test('a compliance officer approves a held remittance', () => withPage('compliance', {}, async (page) => {
  await logIn(page, STAFF.compliance.username);
  await loggedIn(page);
  assert.deepEqual(await navSections(page), ['Held remittances']);
  const compliance = await staffToken(STAFF.compliance.username);
  const cases = await expectStatus(api('GET', '/v1/compliance/cases?status=open&kind=held_remittance', { token: compliance }), 200);
  const held = cases.items.find((c) => c.remittance_id === seed.heldRemittance);
  assert.ok(held, 'the held remittance has an open case');
  // The queue shows it with its amount (the send amount, fees excluded).
  const row = page.getByRole('row').filter({ has: page.locator(`a[href="#/cases/${held.id}"]`) });
  await row.getByRole('cell', { name: `${held.amount.amount} ${held.amount.currency}` }).waitFor();
  await assertLabelled(page);
  await shot(page, '06-held-queue');
  await page.locator(`a[href="#/cases/${held.id}"]`).click();
  await page.getByRole('heading', { name: 'Case: held remittance' }).waitFor();
  await page.locator('#view').getByText(held.remittance_id).waitFor();
  await page.getByLabel('Decision').selectOption('approve');
  await page.getByLabel('Note').fill('Not the listed person: date of birth and passport differ');
  await page.getByRole('button', { name: 'Record decision' }).click();
  await page.locator('#view').getByText('Case approved.').waitFor();
  await shot(page, '07-held-remittance-approved');

  const decided = await expectStatus(api('GET', `/v1/compliance/cases/${held.id}`, { token: compliance }), 200);
  assert.equal(decided.status, 'approved');
  assert.equal(decided.note, 'Not the listed person: date of birth and passport differ');
  const released = await waitUntil('the held remittance to be released', async () => {
    const status = await remittanceStatus(seed.listed, seed.heldRemittance);
    return status !== 'held' && status;
  });
  assert.ok(['approved', 'funded', 'payout_pending', 'payout_unknown', 'paid'].includes(released), released);
}));

test('finance sees the trial balance and positions, and downloads the daily return', () => withPage('finance', {}, async (page) => {
  await logIn(page, STAFF.finance.username);
  await loggedIn(page);
  assert.deepEqual(await navSections(page), ['Trial balance', 'Settlement positions', 'Central-bank return']);
  await page.getByRole('heading', { name: 'ZAR: balanced' }).waitFor();
  await shot(page, '08-trial-balance');

  await page.getByRole('link', { name: 'Settlement positions' }).click();
  await page.getByRole('rowheader', { name: 'mpesa', exact: true }).waitFor();
  await shot(page, '09-settlement-positions');

  await page.getByRole('link', { name: 'Central-bank return' }).click();
  await assertLabelled(page);
  await page.getByLabel('Business day').fill(seed.returnDay);
  await page.getByLabel('Format').selectOption('csv');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `chelete-cross_border-${seed.returnDay}.csv`);
  const saved = join(artifacts, download.suggestedFilename());
  await download.saveAs(saved);
  const csv = readFileSync(saved, 'utf8');
  assert.ok(csv.startsWith('reference,remittance_id,value_date,'), csv.slice(0, 200));
  assert.ok(csv.includes(`,${seed.paidRemittance},${seed.returnDay},`), 'the paid remittance is in the return');
  assert.ok(csv.includes(',Teboho Lebona,1990-04-01,'), 'with its sender');
  assert.ok(csv.includes(',500.00,ZAR,'), 'and its amount');
  assert.ok(!csv.includes(seed.heldRemittance), 'a remittance not paid that day is not');
  await page.locator('#view').getByText(`Downloaded chelete-cross_border-${seed.returnDay}.csv: 1 row`).waitFor();
  await shot(page, '10-daily-return-downloaded');

  // A date that has not ended is refused by the API, next to the date field.
  await page.getByLabel('Business day').fill('2099-01-01');
  await page.getByRole('button', { name: 'Download' }).click();
  assert.match(await errorOf(page, page.getByLabel('Business day')), /^Business day: /);
  await shot(page, '11-daily-return-future-day');
}));

test('a search longer than a page pages forward and back', () => withPage('pages', {}, async (page) => {
  await logIn(page, STAFF.ministry.username);
  await loggedIn(page);
  await page.getByLabel('Name, licence or registration number').fill('Pager Agency');
  await page.getByRole('button', { name: 'Search' }).click();
  // The list shown at login is page 1 too: wait for the search's own page.
  await page.waitForFunction(() => {
    const shown = Array.from(document.querySelectorAll('table tbody th'), (th) => th.textContent);
    return shown.length === 20 && shown.every((n) => n.startsWith('Pager Agency'));
  }, null, { timeout: STEP });
  const names = () => page.locator('table tbody th').allTextContents();
  const first = await names();
  assert.equal(first.length, 20);
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByRole('region', { name: 'Agencies, page 2' }).waitFor();
  const second = await names();
  assert.equal(second.length, 3);
  assert.deepEqual(first.filter((n) => second.includes(n)), [], 'a page repeats an agency');
  assert.equal(new Set([...first, ...second]).size, 23);
  assert.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled());
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Agencies, page 2',
    'focus goes to the new page');
  await shot(page, '14-agencies-page-2');
  await page.getByRole('button', { name: 'Previous page' }).click();
  await page.getByRole('region', { name: 'Agencies, page 1' }).waitFor();
  assert.deepEqual(await names(), first);
}));

const SMALL_SCREEN = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };

test('the console works at 360 px wide', () => withPage('small-screen', SMALL_SCREEN, async (page) => {
  await logIn(page, STAFF.ministry.username);
  await loggedIn(page);
  await page.getByRole('region', { name: 'Agencies, page 1' }).waitFor();
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(await fits(), 'the agency list scrolls sideways');
  await shot(page, '12-small-screen-agencies');
  await page.getByLabel('Name, licence or registration number').fill(seed.agencyName);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: seed.agencyName }).click();
  await page.getByRole('heading', { name: seed.agencyName }).waitFor();
  assert.ok(await fits(), 'the agency page scrolls sideways');
  await shot(page, '13-small-screen-agency');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.locator('#view').getByText('You have logged out.').waitFor();
}));
