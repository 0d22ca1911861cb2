// The dashboard's one script island, served as /assets/app.HASH.js (assets.ts). Three behaviours:
// - Forms marked `data-api="/api/…"` are sent to the JSON API with fetch: their fields as a JSON
//   object (empty fields left out; names listed in `data-bools` sent as booleans; the clicked
//   button's name and value included), with the session's CSRF token from GET /api/me in
//   X-CSRF-Token (except forms marked `data-no-csrf`, i.e. the login). The answer goes to the
//   form's <output> (a live region) as text, never as HTML; `data-next` navigates on success,
//   `data-confirm` asks first. A form also marked `data-job` started a background job: its steps
//   then stream (EventSource on /api/jobs/ID/events) into the form's `ol.steps` until it ends.
// - A section with `data-events="/api/jobs/ID/events"` (a running job's page) follows that stream.
// - A form marked `data-logs="/api/envs/ENV/apps/"` follows an app's logs (EventSource on
//   …/APP/logs?process=P&q=TEXT) into its `ol.log`, keeping the newest lines; Stop ends it.
// Kept as a string (no build step) and written without template literals so it stays plain ES2017.
export const APP_JS = String.raw`(function () {
  'use strict';
  var MAX_LINES = 1000;
  var csrf = '';
  function token() {
    if (csrf) return Promise.resolve(csrf);
    return fetch('/api/me', { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok) { var e = new Error('not logged in'); e.status = r.status; throw e; }
      return r.json();
    }).then(function (me) { csrf = me.csrfToken || ''; return csrf; });
  }
  function toLogin() { window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname)); }
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
    if (json && json.redeliveryOf) return 'Redelivered as ' + json.id + ': ' + json.verdict + '.';
    return 'Done.';
  }
  function busy(form, on) {
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    Array.prototype.forEach.call(form.querySelectorAll('button'), function (b) { b.disabled = on; });
  }
  function add(list, text, kind) {
    var li = document.createElement('li');
    li.textContent = text;
    if (kind) li.className = kind;
    var atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.appendChild(li);
    while (list.childElementCount > MAX_LINES) list.removeChild(list.firstElementChild);
    if (atEnd) list.scrollTop = list.scrollHeight;
  }
  function ended(d) {
    if (!d || d.status !== 'ok') return { text: 'Failed: ' + ((d && d.error) || 'the job failed') + (d && d.hint ? ' (' + d.hint + ')' : ''), bad: true };
    var r = d.result || {};
    if (typeof r.release === 'string') return { text: done(r), bad: false };
    if (typeof r.id === 'string' && typeof r.result === 'string') {
      var n = r.mismatches ? r.mismatches.length : 0;
      return { text: 'Verified backup ' + r.id + ': ' + r.result + (n ? ' (' + n + ' mismatch' + (n === 1 ? '' : 'es') + ')' : '') + '.', bad: r.result !== 'ok' };
    }
    return { text: 'Done.', bad: false };
  }
  /** Follows a job's event stream into list and out; calls then(doneData or null) once at the end. */
  function followJob(url, list, out, then) {
    var es = new EventSource(url);
    var over = false;
    list.textContent = '';
    list.hidden = false;
    es.addEventListener('step', function (e) { add(list, JSON.parse(e.data).text); });
    es.addEventListener('done', function (e) {
      over = true;
      es.close();
      var d = JSON.parse(e.data);
      var r = ended(d);
      say(out, r.text, r.bad);
      then(d);
    });
    es.onerror = function () {
      if (over) return;
      over = true;
      es.close();
      say(out, 'Lost the stream of this job: the jobs page has its outcome.', true);
      then(null);
    };
  }
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.hasAttribute('data-logs')) { e.preventDefault(); startLogs(form); return; }
    if (!form.hasAttribute('data-api')) return;
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
        var list = form.querySelector('ol.steps');
        if (form.hasAttribute('data-job') && a.json.id && list) {
          say(out, 'Running: job ' + a.json.id + '…', false);
          return new Promise(function (resolve) { followJob('/api/jobs/' + encodeURIComponent(a.json.id) + '/events', list, out, resolve); });
        }
        say(out, done(a.json), false);
        return;
      }
      if (a.r.status === 401 && guarded) { toLogin(); return; }
      if (a.r.status === 403) csrf = '';
      say(out, (a.json.error || 'HTTP ' + a.r.status) + (a.json.hint ? ': ' + a.json.hint : ''), true);
    }).catch(function (err) {
      if (err && err.status === 401) { toLogin(); return; }
      say(out, 'Could not reach the control plane (' + (err && err.message ? err.message : 'network error') + ').', true);
    }).then(function () { busy(form, false); });
  });

  // A running job's page: follow its stream (earlier steps are replayed first).
  Array.prototype.forEach.call(document.querySelectorAll('[data-events]'), function (section) {
    var list = section.querySelector('ol.steps');
    var out = section.querySelector('output');
    followJob(section.getAttribute('data-events'), list, out, function (d) {
      var status = section.ownerDocument.querySelector('.job-status');
      if (status && d) status.textContent = d.status;
    });
  });

  // Live logs.
  var logs = null;
  function stopLogs(form, text) {
    if (logs) { logs.close(); logs = null; }
    var stop = form.querySelector('[data-stop]');
    if (stop) stop.disabled = true;
    if (text) say(form.querySelector('output'), text, false);
  }
  /** Why a stream could not open: the API's JSON error for the same URL (a stream that opens this time is closed at once). */
  function explain(url, out) {
    var ctl = new AbortController();
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' }, signal: ctl.signal }).then(function (r) {
      if (r.status === 401) { toLogin(); return; }
      if (r.ok) { ctl.abort(); say(out, 'The log stream closed. Follow again to resume.', true); return; }
      return r.json().catch(function () { return {}; }).then(function (j) {
        say(out, 'Cannot follow these logs: ' + (j.error || 'HTTP ' + r.status) + (j.hint ? ' (' + j.hint + ')' : ''), true);
      });
    }).catch(function () { say(out, 'Could not reach the control plane.', true); });
  }
  function startLogs(form) {
    stopLogs(form);
    var target = String(form.elements.namedItem('target').value).split('/');
    var q = String(form.elements.namedItem('q').value || '').trim();
    var url = form.getAttribute('data-logs') + encodeURIComponent(target[0]) + '/logs?tail=200' +
      (target[1] ? '&process=' + encodeURIComponent(target[1]) : '') + (q ? '&q=' + encodeURIComponent(q) : '');
    var list = form.querySelector('ol.log');
    var out = form.querySelector('output');
    var stop = form.querySelector('[data-stop]');
    var opened = false;
    list.textContent = '';
    say(out, 'Connecting…', false);
    var es = new EventSource(url);
    logs = es;
    if (stop) stop.disabled = false;
    es.onopen = function () {
      opened = true;
      say(out, 'Following ' + target.join('/').replace(/\/$/, '') + (q ? ': lines containing "' + q + '"' : '') + '.', false);
    };
    es.addEventListener('line', function (e) {
      var l = JSON.parse(e.data);
      add(list, (target[1] ? '' : l.process + ' | ') + l.text, l.stream === 'stderr' ? 'stderr' : '');
    });
    es.addEventListener('info', function (e) { add(list, '— ' + JSON.parse(e.data).text, 'info'); });
    es.addEventListener('dropped', function (e) { add(list, '— ' + JSON.parse(e.data).count + ' lines dropped (too fast to show)', 'info'); });
    es.addEventListener('end', function () { if (logs === es) stopLogs(form, 'The follow ended.'); });
    es.onerror = function (e) {
      if (logs !== es) return;
      if (e && e.data) {
        var d = JSON.parse(e.data);
        stopLogs(form);
        say(out, 'The follow failed: ' + d.error + (d.hint ? ' (' + d.hint + ')' : ''), true);
        return;
      }
      stopLogs(form);
      if (opened) say(out, 'The log stream stopped. Follow again to resume.', true);
      else explain(url, out);
    };
  }
  document.addEventListener('click', function (e) {
    var b = e.target;
    if (!(b instanceof HTMLButtonElement) || !b.hasAttribute('data-stop')) return;
    stopLogs(b.form, 'Stopped.');
  });
})();
`;
