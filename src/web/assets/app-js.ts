// The dashboard's one script island, served as /assets/app.HASH.js (assets.ts). Forms marked
// `data-api="/api/…"` are sent to the JSON API with fetch: their fields as a JSON object (empty
// fields left out; names listed in `data-bools` sent as booleans; the clicked button's name and
// value included), with the session's CSRF token from GET /api/me in X-CSRF-Token (except forms
// marked `data-no-csrf`, i.e. the login). The answer goes to the form's <output> (a live region)
// as text, never as HTML; `data-next` navigates on success, `data-confirm` asks first.
// Kept as a string (no build step) and written without template literals so it stays plain ES2017.
export const APP_JS = String.raw`(function () {
  'use strict';
  var csrf = '';
  function token() {
    if (csrf) return Promise.resolve(csrf);
    return fetch('/api/me', { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok) { var e = new Error('not logged in'); e.status = r.status; throw e; }
      return r.json();
    }).then(function (me) { csrf = me.csrfToken || ''; return csrf; });
  }
  function payload(form, submitter) {
    var bools = (form.getAttribute('data-bools') || '').split(' ');
    var out = {};
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    data.forEach(function (v, k) {
      if (typeof v !== 'string' || v.trim() === '') return;
      out[k] = bools.indexOf(k) >= 0 ? v === 'true' : v.trim();
    });
    return out;
  }
  function say(out, text, bad) {
    if (!out) return;
    out.textContent = text;
    out.classList.toggle('error', Boolean(bad));
  }
  function done(json) {
    if (json && json.release) return 'Done: release ' + json.release + (json.durationMs ? ' in ' + Math.round(json.durationMs / 1000) + ' s' : '') + '.';
    if (json && typeof json.maintenance === 'boolean') return 'Maintenance is ' + (json.maintenance ? 'on' : 'off') + '.';
    return 'Done.';
  }
  function busy(form, on) {
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    Array.prototype.forEach.call(form.querySelectorAll('button'), function (b) { b.disabled = on; });
  }
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-api')) return;
    e.preventDefault();
    var ask = form.getAttribute('data-confirm');
    if (ask && !window.confirm(ask)) return;
    var out = form.querySelector('output');
    var guarded = !form.hasAttribute('data-no-csrf');
    var body = JSON.stringify(payload(form, e.submitter));
    busy(form, true);
    say(out, 'Working…', false);
    (guarded ? token() : Promise.resolve('')).then(function (t) {
      var headers = { 'content-type': 'application/json', accept: 'application/json' };
      if (t) headers['x-csrf-token'] = t;
      return fetch(form.getAttribute('data-api'), { method: 'POST', credentials: 'same-origin', headers: headers, body: body });
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) { return { r: r, json: json }; });
    }).then(function (a) {
      if (a.r.ok) {
        var next = form.getAttribute('data-next');
        if (next) { window.location.assign(next); return; }
        say(out, done(a.json), false);
        return;
      }
      if (a.r.status === 401 && guarded) { window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname)); return; }
      if (a.r.status === 403) csrf = '';
      say(out, (a.json.error || 'HTTP ' + a.r.status) + (a.json.hint ? ': ' + a.json.hint : ''), true);
    }).catch(function (err) {
      if (err && err.status === 401) { window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname)); return; }
      say(out, 'Could not reach the control plane (' + (err && err.message ? err.message : 'network error') + ').', true);
    }).then(function () { busy(form, false); });
  });
})();
`;
