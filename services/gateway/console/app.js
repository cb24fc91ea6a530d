// The staff console: login, then the sections of the officer's role. Routes live in the URL
// fragment (#/agencies, #/cases/<id>, ...), so the page never reloads and the in-memory token
// stays; Back and Forward work as in any site.
import { currentSession, signIn, signOut, whenSessionEnds } from './api.js';
import { h, clear, field, form, heading, showProblem, announce, notice, words, put } from './ui.js';
import { agencyList, agencyDetail, complaintList } from './ministry.js';
import { caseQueue, caseDetail } from './compliance.js';
import { trialBalance, settlementPositions, dailyReturn } from './finance.js';

/// What each role sees. Routes take an optional id: #/agencies/<id>.
const SECTIONS = {
  ministry_officer: [
    { route: 'agencies', label: 'Agencies', list: agencyList, detail: agencyDetail },
    { route: 'complaints', label: 'Complaints', list: complaintList },
  ],
  compliance_officer: [
    { route: 'cases', label: 'Held remittances', list: caseQueue, detail: caseDetail },
  ],
  finance: [
    { route: 'trial-balance', label: 'Trial balance', list: trialBalance },
    { route: 'settlement', label: 'Settlement positions', list: settlementPositions },
    { route: 'daily-return', label: 'Central-bank return', list: dailyReturn },
  ],
};

const view = () => document.getElementById('view');
let loginMessage = '';
let renderToken = 0;

function sectionsOf(role) {
  return SECTIONS[role] || [];
}

/// "#/agencies/123?x" → {route: 'agencies', id: '123'}; anything else (e.g. the skip link's
/// "#main") is not a route.
function parseHash() {
  const m = /^#\/([a-z-]+)(?:\/([^/?]+))?/.exec(window.location.hash);
  return m ? { route: m[1], id: m[2] ? decodeURIComponent(m[2]) : null } : null;
}

function navigate(route, id = null) {
  const target = `#/${route}${id ? `/${encodeURIComponent(id)}` : ''}`;
  if (window.location.hash === target) {
    render();
  } else {
    window.location.hash = target;
  }
}

function showChrome(session) {
  const who = document.getElementById('who');
  const logout = document.getElementById('logout');
  const nav = document.getElementById('nav');
  const list = clear(document.getElementById('nav-list'));
  if (!session) {
    who.hidden = true;
    logout.hidden = true;
    nav.hidden = true;
    return;
  }
  who.textContent = `${session.username} (${words(session.role)})`;
  who.hidden = false;
  logout.hidden = false;
  const sections = sectionsOf(session.role);
  nav.hidden = sections.length === 0;
  const current = parseHash();
  for (const s of sections) {
    const active = current && current.route === s.route;
    put(list, h('li', {}, h('a', { href: `#/${s.route}`, 'aria-current': active ? 'page' : null }, s.label)));
  }
}

function renderLogin() {
  showChrome(null);
  const container = clear(view());
  const loginForm = form({
    label: 'Log in',
    className: 'login',
    submitLabel: 'Log in',
    fields: [
      field({ name: 'username', label: 'Username', required: true, autocomplete: 'username', maxlength: 64 }),
      field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password', maxlength: 128 }),
    ],
    onSubmit: async (el, values) => {
      const r = await signIn(values.username.trim(), values.password);
      if (!r.ok) {
        const problem = r.status === 401
          ? { ...r.problem, title: 'Wrong username or password', detail: 'Check both and try again; five wrong tries lock the login for 30 minutes.' }
          : r.problem;
        showProblem(el, problem);
        return;
      }
      loginMessage = '';
      announce(`Logged in as ${words(r.data.role)}`);
      const first = sectionsOf(r.data.role)[0];
      const current = parseHash();
      if (current && sectionsOf(r.data.role).some((s) => s.route === current.route)) {
        render();
      } else if (first) {
        navigate(first.route);
      } else {
        render();
      }
    },
  });
  put(container,
    heading('Log in'),
    h('p', {}, 'For ministry officers, compliance officers and finance staff. Use your Chelete staff username and password.'),
    loginMessage ? notice(loginMessage, 'warning') : null,
    loginForm,
  );
  const focusTarget = loginForm.querySelector('input');
  if (focusTarget) {
    focusTarget.focus();
  }
}

async function render() {
  const session = currentSession();
  if (!session) {
    renderLogin();
    return;
  }
  showChrome(session);
  const sections = sectionsOf(session.role);
  const container = clear(view());
  if (sections.length === 0) {
    put(container, heading('Nothing here for your role'),
      h('p', {}, `The console serves ministry officers, compliance officers and finance staff; you are signed in as ${words(session.role)}. The API itself is documented at `,
        h('a', { href: '/docs' }, '/docs'), '.'));
    focusHeading();
    return;
  }
  const target = parseHash();
  const section = target && sections.find((s) => s.route === target.route);
  if (!section) {
    navigate(sections[0].route);
    return;
  }
  // A slower, earlier render must not overwrite a newer one.
  renderToken += 1;
  const mine = renderToken;
  const place = h('div', {});
  put(container, place);
  const ctx = { navigate, isCurrent: () => mine === renderToken };
  if (target.id && section.detail) {
    await section.detail(place, target.id, ctx);
  } else {
    await section.list(place, ctx);
  }
  if (mine === renderToken) {
    focusHeading();
  }
}

function focusHeading() {
  const title = document.getElementById('view-heading');
  if (title) {
    document.title = `${title.textContent} · Chelete staff console`;
    title.focus();
  }
}

function start() {
  document.getElementById('logout').addEventListener('click', () => {
    signOut();
    loginMessage = 'You have logged out.';
    announce('Logged out');
    renderLogin();
  });
  whenSessionEnds((reason) => {
    loginMessage = reason;
    renderLogin();
  });
  window.addEventListener('hashchange', () => {
    if (parseHash() !== null) {
      render();
    }
  });
  render();
}

start();
