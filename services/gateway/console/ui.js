// Small DOM helpers. Everything shown is built with createElement and textContent: data from
// the API never becomes markup.

let fieldCounter = 0;

/// h('p', {class: 'x', onclick: fn}, 'text', child) → element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/// Appends children to an element, skipping null, undefined and false (so that
/// `cond ? node : null` needs no special case); arrays are flattened.
export function put(el, ...children) {
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) {
    el.removeChild(el.firstChild);
  }
  return el;
}

/// Says something to screen readers without moving focus.
export function announce(text) {
  const region = document.getElementById('announcer');
  region.textContent = '';
  // A change of text after a tick is announced even when the same words come twice.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/// The view's heading; focused after navigation so keyboard and screen-reader users start there.
export function heading(text) {
  return h('h2', { tabindex: '-1', id: 'view-heading' }, text);
}

/// A labelled form control with room for its error. kind: input (default), select, textarea.
/// options for select: [[value, label], ...].
export function field({ name, label, kind = 'input', type = 'text', value = '', required = false,
  options = [], hint = '', autocomplete, inputmode, maxlength }) {
  fieldCounter += 1;
  const id = `f${fieldCounter}-${name}`;
  const describedBy = [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
  let control;
  const common = {
    id, name, required, 'aria-describedby': describedBy, autocomplete, inputmode, maxlength,
  };
  if (kind === 'select') {
    control = h('select', common, options.map(([v, text]) => h('option', { value: v }, text)));
    control.value = value;
  } else if (kind === 'textarea') {
    control = h('textarea', { ...common, rows: 4 });
    control.value = value;
  } else {
    control = h('input', { ...common, type });
    control.value = value;
  }
  return h('div', { class: 'field' },
    h('label', { for: id }, label, required ? h('span', { 'aria-hidden': 'true' }, ' *') : null),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    control,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
}

/// A form with a problem area at its top. onSubmit(form, values) runs on submit (Enter or the
/// button); the submit button is disabled meanwhile so a double press sends once.
export function form({ label, fields, submitLabel, onSubmit, className = '', rowLayout = false }) {
  const problemArea = h('div', { class: 'form-error', role: 'alert', hidden: true, tabindex: '-1' });
  const button = h('button', { type: 'submit' }, submitLabel);
  const body = rowLayout ? h('div', { class: 'form-row' }, fields, button) : [fields, button];
  const el = h('form', { 'aria-label': label, class: className, novalidate: true }, problemArea, body);
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(el);
    if (!checkRequired(el)) {
      return;
    }
    const values = Object.fromEntries(new FormData(el).entries());
    button.disabled = true;
    try {
      await onSubmit(el, values);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

/// Required fields left empty are named by their field before anything is sent.
function checkRequired(formEl) {
  const missing = [];
  for (const control of formEl.elements) {
    if (control.required && String(control.value).trim() === '') {
      missing.push({ field: control.name, message: 'is required' });
    }
  }
  if (missing.length === 0) {
    return true;
  }
  showProblem(formEl, { title: 'Some fields need attention', errors: missing });
  return false;
}

function clearProblem(formEl) {
  const area = formEl.querySelector('.form-error');
  if (area) {
    clear(area).hidden = true;
  }
  for (const control of formEl.elements) {
    if (control.hasAttribute('aria-invalid')) {
      control.removeAttribute('aria-invalid');
    }
    const error = control.id ? document.getElementById(`${control.id}-error`) : null;
    if (error) {
      error.textContent = '';
      error.hidden = true;
    }
  }
}

/// Shows an RFC 7807 problem: each {field, message} of `errors` next to the control of that
/// name, the rest (and the title and detail) at the top of the form. Focus goes to the first
/// field in error, else to the message at the top.
export function showProblem(formEl, problem, labels = {}) {
  const area = formEl.querySelector('.form-error');
  const unplaced = [];
  let first = null;
  for (const e of problem.errors || []) {
    const name = String(e.field || '').split(/[.[]/)[0];
    const control = name ? formEl.elements.namedItem(name) : null;
    const error = control && control.id ? document.getElementById(`${control.id}-error`) : null;
    if (error) {
      control.setAttribute('aria-invalid', 'true');
      const label = labels[name] || formEl.querySelector(`label[for="${control.id}"]`)?.firstChild?.textContent || name;
      error.textContent = `${label}: ${e.message}`;
      error.hidden = false;
      first = first || control;
    } else {
      unplaced.push(e);
    }
  }
  clear(area);
  area.append(h('p', {}, h('strong', {}, problem.title || 'Something went wrong')));
  if (problem.detail) {
    area.append(h('p', {}, problem.detail));
  }
  if (unplaced.length > 0) {
    area.append(h('ul', {}, unplaced.map((e) => h('li', {}, e.field ? `${e.field}: ${e.message}` : e.message))));
  }
  area.hidden = false;
  (first || area).focus();
}

/// A problem outside any form (a page that could not load).
export function problemBox(problem) {
  return h('div', { class: 'form-error', role: 'alert' },
    h('p', {}, h('strong', {}, problem.title || 'Something went wrong')),
    problem.detail ? h('p', {}, problem.detail) : null,
    (problem.errors || []).length
      ? h('ul', {}, problem.errors.map((e) => h('li', {}, `${e.field}: ${e.message}`))) : null);
}

/// A table in a scrollable, focusable region (so it scrolls by keyboard on a small screen).
/// columns: [{label, value: (row) => text or node, num: bool}]
export function table({ caption, columns, rows, empty = 'Nothing to show.' }) {
  if (rows.length === 0) {
    return h('p', { class: 'empty' }, empty);
  }
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', {}, rows.map((row) => h('tr', {},
        columns.map((c, i) => {
          const content = c.value(row);
          return i === 0
            ? h('th', { scope: 'row', class: c.num ? 'num' : null }, content)
            : h('td', { class: c.num ? 'num' : null }, content);
        }))))));
}

/// Previous / next page over a cursor-paginated list. state: {cursors: [...], next}.
export function pager({ label, hasPrevious, hasNext, onPrevious, onNext }) {
  if (!hasPrevious && !hasNext) {
    return null;
  }
  return h('div', { class: 'actions', role: 'group', 'aria-label': label },
    h('button', { type: 'button', class: 'secondary', disabled: !hasPrevious, onclick: onPrevious }, 'Previous page'),
    h('button', { type: 'button', class: 'secondary', disabled: !hasNext, onclick: onNext }, 'Next page'));
}

/// A cursor-paged list drawn into `results`, and the function that (re)loads its current page.
/// The newest load's answer wins over an older one still on its way, and none is drawn once the
/// screen is left. `state.cursors` is the stack of page cursors (a new search replaces it with
/// [null]); `fetchPage(cursor)` asks the API; `tableOf(data, page, problemAt)` draws one page;
/// a refused load is shown by the form `problemAt` it was called with.
export function pagedList({ ctx, results, state, fetchPage, tableOf, pagerLabel }) {
  let loads = 0;
  async function load(problemAt) {
    loads += 1;
    const mine = loads;
    const r = await fetchPage(state.cursors[state.cursors.length - 1]);
    if (!ctx.isCurrent() || mine !== loads) {
      return;
    }
    clear(results);
    if (!r.ok) {
      showProblem(problemAt, r.problem);
      return;
    }
    put(results,
      tableOf(r.data, state.cursors.length, problemAt),
      pager({
        label: pagerLabel,
        hasPrevious: state.cursors.length > 1,
        hasNext: Boolean(r.data.next_cursor),
        onPrevious: async () => {
          state.cursors.pop();
          await load(problemAt);
          focusResults(results);
        },
        onNext: async () => {
          state.cursors.push(r.data.next_cursor);
          await load(problemAt);
          focusResults(results);
        },
      }),
    );
  }
  return load;
}

/// After a page change the pager's buttons are new: focus goes to the new page of results.
export function focusResults(results) {
  const region = results.querySelector('.table-wrap, .empty');
  if (region) {
    region.setAttribute('tabindex', '0');
    region.focus();
  }
}

/// A definition list of [term, value] pairs; values may be nodes.
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([term, value]) => [
    h('dt', {}, term),
    h('dd', {}, value === null || value === undefined || value === '' ? '—' : value),
  ]));
}

export function money(m) {
  return m ? `${m.amount} ${m.currency}` : '—';
}

export function when(timestamp) {
  if (!timestamp) {
    return '—';
  }
  const d = new Date(timestamp);
  return Number.isNaN(d.getTime()) ? timestamp : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function words(code) {
  return String(code || '').replace(/_/g, ' ');
}

export function statusBadge(status) {
  return h('span', { class: 'status' }, words(status));
}

export function notice(text, kind = 'notice') {
  return h('p', { class: kind, role: kind === 'warning' ? 'alert' : 'status' }, text);
}
