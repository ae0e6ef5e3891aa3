import HTTPServer

/// The event inspector: one self-contained HTML page (inline CSS and JavaScript, no external assets, works offline) that
/// the admin listener serves at `GET /` and `GET /inspector`, without a token: it holds no data. Everything it shows comes
/// from the admin API, called with `Authorization: Bearer <token>`; the token is typed in (or passed once as
/// `#token=…` in the URL fragment, which never reaches the server) and kept in `sessionStorage`.
///
/// Payloads are attacker-controlled, so the script builds every node with `createElement` and `textContent`, never
/// `innerHTML`, and the page is served with a Content Security Policy that allows only this page's own script and style
/// (by SHA-256 hash), requests to its own origin, and nothing else: no inline event handlers, no frames, no forms
/// posting elsewhere, no external loads.
enum InspectorPage {
    /// The page's `<style>` text.
    static let style = #"""
        :root { color-scheme: light dark; --line: #8884; --muted: #888; --accent: #2b6cb0; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, sans-serif; }
        header { display: flex; align-items: center; gap: 1em; padding: .6em 1em; border-bottom: 1px solid var(--line); }
        header h1 { font-size: 1.1em; margin: 0; flex: 1; }
        form.filters { display: flex; flex-wrap: wrap; gap: .5em; align-items: end; padding: .6em 1em; border-bottom: 1px solid var(--line); }
        form.filters label { display: flex; flex-direction: column; font-size: .8em; color: var(--muted); }
        input, select, button { font: inherit; padding: .25em .5em; }
        button { cursor: pointer; }
        #message { padding: .3em 1em; min-height: 1.8em; color: var(--muted); }
        #message.error { color: #c53030; }
        main { display: grid; grid-template-columns: minmax(30em, 2fr) 3fr; min-height: 70vh; }
        #events-pane { border-right: 1px solid var(--line); overflow: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .3em .5em; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: .8em; color: var(--muted); font-weight: 600; }
        tr.event-row { cursor: pointer; }
        tr.event-row:hover, tr.event-row:focus { background: #8882; outline: none; }
        tr.event-row.selected { background: #2b6cb033; }
        td.id, .mono, pre { font-family: ui-monospace, monospace; font-size: 12px; }
        #detail { padding: .5em 1em 2em; overflow: auto; }
        #detail h2 { font-size: 1.05em; margin: .4em 0; word-break: break-all; }
        #detail h3 { font-size: .95em; margin: 1.2em 0 .4em; }
        pre { margin: 0; padding: .5em; background: #8881; border: 1px solid var(--line); white-space: pre-wrap;
              word-break: break-all; max-height: 24em; overflow: auto; }
        dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; margin: 0; }
        dl.meta dt { color: var(--muted); }
        dl.meta dd { margin: 0; word-break: break-all; }
        .badge { display: inline-block; padding: 0 .45em; border-radius: .6em; font-size: .8em; font-weight: 600; background: #8883; }
        .badge.delivered { background: #38a16933; color: #2f855a; }
        .badge.dead { background: #e53e3e33; color: #c53030; }
        .badge.retrying { background: #dd6b2033; color: #c05621; }
        .badge.pending { background: #3182ce33; color: #2b6cb0; }
        .delivery { border: 1px solid var(--line); border-radius: .3em; padding: .5em .7em; margin: .5em 0; }
        .delivery-head { display: flex; gap: .6em; align-items: center; flex-wrap: wrap; }
        .delivery-head strong { flex: 1; }
        .last-error { color: #c53030; margin: .3em 0; word-break: break-all; }
        .empty { color: var(--muted); padding: 1em; }
        #login { padding: 2em 1em; max-width: 32em; }
        #login input { width: 100%; margin: .5em 0; }
        #bulk { display: flex; gap: .5em; align-items: center; flex-wrap: wrap; }
        """#

    /// The page's `<script>` text.
    static let script = #"""
        (() => {
        'use strict';
        const TOKEN_KEY = 'hookrelay.admin.token';
        const $ = (id) => document.getElementById(id);
        let token = null;
        let selectedID = null;
        let pendingBulk = null;

        // Builds an element; children are nodes or strings (always text nodes). Never parses HTML.
        function el(tag, attributes, ...children) {
          const node = document.createElement(tag);
          for (const [name, value] of Object.entries(attributes || {})) {
            if (name === 'class') node.className = value;
            else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
            else node.setAttribute(name, String(value));
          }
          for (const child of children) {
            if (child === null || child === undefined) continue;
            node.append(child instanceof Node ? child : document.createTextNode(String(child)));
          }
          return node;
        }

        function badge(status) { return el('span', { class: 'badge ' + status, 'data-status': status }, status); }

        function say(text, isError) {
          const message = $('message');
          message.textContent = text;
          message.className = isError ? 'error' : '';
        }

        // #token=…&event=… (fragments never reach the server); removed from the address bar once read.
        function readFragment() {
          const values = {};
          for (const part of location.hash.replace(/^#/, '').split('&')) {
            const at = part.indexOf('=');
            if (at <= 0) continue;
            try { values[part.slice(0, at)] = decodeURIComponent(part.slice(at + 1)); } catch (e) { /* ignore */ }
          }
          if (location.hash) history.replaceState(null, '', location.pathname + location.search);
          if (typeof values.token === 'string' && values.token) sessionStorage.setItem(TOKEN_KEY, values.token);
          token = sessionStorage.getItem(TOKEN_KEY);
          return values;
        }

        class Unauthorized extends Error {}

        async function api(method, path, body) {
          const headers = { 'Accept': 'application/json' };
          if (token) headers['Authorization'] = 'Bearer ' + token;
          const init = { method, headers, cache: 'no-store', credentials: 'omit' };
          if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(body);
          }
          const response = await fetch(path, init);
          let data = null;
          try { data = await response.json(); } catch (e) { /* not JSON */ }
          if (response.status === 401) {
            showLogin(data && data.error ? data.error : 'unauthorized');
            throw new Unauthorized('the admin API wants a valid token');
          }
          if (!response.ok) throw new Error((data && data.error) || ('HTTP ' + response.status));
          return data;
        }

        function showLogin(reason) {
          $('login').hidden = false;
          $('app').hidden = true;
          $('login-reason').textContent = token ? 'The token was refused (' + reason + ').' : 'The admin API needs its bearer token.';
          $('token-input').focus();
        }

        function showApp() {
          $('login').hidden = true;
          $('app').hidden = false;
        }

        function filters() {
          return {
            source: $('f-source').value.trim(), type: $('f-type').value.trim(), status: $('f-status').value,
            since: $('f-since').value.trim(), limit: $('f-limit').value,
          };
        }

        function sourceName(event) {
          const source = String(event.source || '');
          return source.startsWith('/hooks/') ? source.slice(7) : source;
        }

        async function loadEvents() {
          const f = filters();
          const query = new URLSearchParams();
          if (f.source) query.set('source', f.source);
          if (f.type) query.set('type', f.type);
          if (f.since) query.set('since', f.since);
          query.set('limit', f.limit);
          say('Loading events…');
          try {
            const data = await api('GET', '/api/events?' + query.toString());
            showApp();
            const all = Array.isArray(data.events) ? data.events : [];
            const shown = f.status ? all.filter((event) => event.status === f.status) : all;
            renderEvents(shown);
            say(shown.length + ' of ' + all.length + ' loaded events shown' + (f.status ? ' (status ' + f.status + ')' : '') + '.');
          } catch (error) {
            if (!(error instanceof Unauthorized)) say('Could not load events: ' + error.message, true);
          }
        }

        function renderEvents(events) {
          const rows = events.map((event) => {
            const id = String(event.id);
            const row = el('tr', {
              class: 'event-row' + (id === selectedID ? ' selected' : ''), tabindex: '0', 'data-event-id': id,
              onclick: () => selectEvent(id),
              onkeydown: (e) => { if (e.key === 'Enter') selectEvent(id); },
            },
            el('td', { class: 'mono' }, event.receivedat || event.time || ''),
            el('td', {}, sourceName(event)),
            el('td', {}, event.type || ''),
            el('td', {}, badge(String(event.status || ''))),
            el('td', { class: 'id', title: id }, '…' + id.slice(-8)));  // UUIDv7: the tail is the random part
            return row;
          });
          $('events').replaceChildren(...rows);
          $('events-empty').hidden = rows.length > 0;
        }

        async function selectEvent(id) {
          selectedID = id;
          for (const row of document.querySelectorAll('tr.event-row')) {
            row.classList.toggle('selected', row.getAttribute('data-event-id') === id);
          }
          try {
            const detail = await api('GET', '/api/events/' + encodeURIComponent(id));
            renderDetail(detail);
          } catch (error) {
            if (!(error instanceof Unauthorized)) say('Could not load event ' + id + ': ' + error.message, true);
          }
        }

        function pretty(value) {
          try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); }
        }

        function renderDetail(detail) {
          const event = detail.event || {};
          const request = detail.request || {};
          const deliveries = Array.isArray(detail.deliveries) ? detail.deliveries : [];
          const headerRows = (request.headers || []).map((pair) =>
            el('tr', {}, el('td', { class: 'mono' }, pair[0]), el('td', { class: 'mono' }, pair[1])));
          const panel = el('div', { id: 'event-detail', 'data-event-id': String(event.id) },
            el('h2', {}, 'Event ', el('span', { class: 'mono' }, String(event.id))),
            el('dl', { class: 'meta' },
              el('dt', {}, 'status'), el('dd', {}, badge(String(detail.status))),
              el('dt', {}, 'source'), el('dd', {}, String(detail.source)),
              el('dt', {}, 'type'), el('dd', {}, String(event.type || '')),
              el('dt', {}, 'provider event id'), el('dd', { class: 'mono' }, String(event.providereventid || '')),
              el('dt', {}, 'received'), el('dd', { class: 'mono' }, String(detail.receivedAt))),
            el('h3', {}, 'Deliveries (' + deliveries.length + ')'),
            deliveries.length ? el('div', { id: 'deliveries' }, ...deliveries.map(renderDelivery))
              : el('p', { class: 'empty' }, 'No route matched this event: nothing to deliver.'),
            el('h3', {}, 'Envelope'),
            el('pre', { id: 'envelope' }, pretty(event)),
            el('h3', {}, 'Request headers'),
            el('table', { id: 'request-headers' }, el('tbody', {}, ...headerRows)),
            el('h3', {}, 'Request body' + (request.bodyEncoding === 'base64' ? ' (base64: not UTF-8)' : '')),
            el('pre', { id: 'request-body' }, String(request.body || '')));
          $('detail').replaceChildren(panel);
        }

        function renderDelivery(entry) {
          const d = entry.delivery || {};
          const attempts = Array.isArray(entry.attempts) ? entry.attempts : [];
          const result = el('span', { class: 'replay-result' });
          const button = el('button', {
            type: 'button', class: 'replay-delivery', 'data-delivery-id': String(d.id),
            onclick: () => replayDelivery(d.id, button, result),
          }, 'Replay');
          const facts = [];
          if (d.lastStatusCode !== null && d.lastStatusCode !== undefined) facts.push('last HTTP ' + d.lastStatusCode);
          if (d.nextAttemptAt) facts.push('next attempt ' + d.nextAttemptAt);
          if (d.inFlight) facts.push('in flight');
          facts.push('created ' + d.createdAt);
          const attemptRows = attempts.map((a) => el('tr', { class: 'attempt' },
            el('td', {}, String(a.number)),
            el('td', { class: 'mono' }, String(a.startedAt)),
            el('td', {}, a.durationMs + ' ms'),
            el('td', {}, a.statusCode === null || a.statusCode === undefined ? '—' : String(a.statusCode)),
            el('td', { class: 'attempt-error' }, a.error || ''),
            el('td', {}, a.responseHead === null || a.responseHead === undefined ? ''
              : el('details', {}, el('summary', {}, 'response head' + (a.responseHeadEncoding === 'base64' ? ' (base64)' : '')),
                el('pre', { class: 'response-head' }, String(a.responseHead))))));
          return el('div', { class: 'delivery', 'data-delivery-id': String(d.id), 'data-status': String(d.status) },
            el('div', { class: 'delivery-head' },
              el('strong', {}, String(d.destination)), badge(String(d.status)),
              el('span', {}, d.attempts + (d.attempts === 1 ? ' attempt' : ' attempts')),
              el('span', { class: 'mono' }, 'route ' + d.route + ' · #' + d.id), button, result),
            d.lastError ? el('p', { class: 'last-error' }, String(d.lastError)) : null,
            el('div', { class: 'facts' }, facts.join(' · ')),
            attempts.length ? el('table', { class: 'attempts' },
              el('thead', {}, el('tr', {}, ...['#', 'started', 'duration', 'status', 'error', 'answer'].map((h) => el('th', {}, h)))),
              el('tbody', {}, ...attemptRows)) : null);
        }

        async function replayDelivery(id, button, result) {
          button.disabled = true;
          result.textContent = '';
          try {
            const data = await api('POST', '/api/deliveries/' + encodeURIComponent(id) + '/replay');
            result.textContent = data.count === 1 ? 'requeued' : 'not requeued (in flight)';
            say('Delivery #' + id + (data.count === 1 ? ' put back to pending.' : ' is in flight; the attempt under way decides.'));
            setTimeout(() => { if (selectedID) selectEvent(selectedID); }, 800);
          } catch (error) {
            if (!(error instanceof Unauthorized)) result.textContent = 'failed: ' + error.message;
          } finally {
            button.disabled = false;
          }
        }

        // The replay filter the current filters map to, or why there is none.
        function bulkRequest() {
          const f = filters();
          if (f.type) return { reason: 'Replay by filter cannot select by type: clear the type filter, or replay deliveries one by one.' };
          let status = 'failed';
          if (f.status === 'dead' || f.status === 'retrying') status = f.status;
          else if (f.status) return { reason: 'Only dead and retrying deliveries can be replayed by filter.' };
          const body = { status };
          if (f.source) body.source = f.source;
          if (f.since) body.since = f.since;
          return { body };
        }

        function describe(body, count) {
          let text = count + ' ' + (body.status === 'failed' ? 'dead and retrying' : body.status) + (count === 1 ? ' delivery' : ' deliveries');
          if (body.source) text += ' from source ' + body.source;
          if (body.since) text += ' created since ' + body.since;
          return text;
        }

        async function bulkDryRun() {
          const request = bulkRequest();
          $('bulk-confirm').hidden = true;
          $('bulk-cancel').hidden = true;
          pendingBulk = null;
          if (!request.body) { say(request.reason, true); return; }
          try {
            const data = await api('POST', '/api/replay', Object.assign({ dryRun: true }, request.body));
            if (data.count === 0) { say('Nothing to replay: ' + describe(request.body, 0) + '.'); return; }
            pendingBulk = request.body;
            say(describe(request.body, data.count) + ' would be put back to pending.');
            $('bulk-confirm').textContent = 'Replay ' + data.count;
            $('bulk-confirm').hidden = false;
            $('bulk-cancel').hidden = false;
          } catch (error) {
            if (!(error instanceof Unauthorized)) say('Replay dry run failed: ' + error.message, true);
          }
        }

        async function bulkConfirm() {
          const body = pendingBulk;
          $('bulk-confirm').hidden = true;
          $('bulk-cancel').hidden = true;
          pendingBulk = null;
          if (!body) return;
          try {
            const data = await api('POST', '/api/replay', Object.assign({ dryRun: false }, body));
            await loadEvents();
            say('Requeued ' + describe(body, data.count) + '.');
            if (selectedID) selectEvent(selectedID);
          } catch (error) {
            if (!(error instanceof Unauthorized)) say('Replay failed: ' + error.message, true);
          }
        }

        function start() {
          const fragment = readFragment();
          $('login-form').addEventListener('submit', (e) => {
            e.preventDefault();
            const value = $('token-input').value.trim();
            if (!value) return;
            sessionStorage.setItem(TOKEN_KEY, value);
            token = value;
            $('token-input').value = '';
            loadEvents();
          });
          $('forget').addEventListener('click', () => {
            sessionStorage.removeItem(TOKEN_KEY);
            token = null;
            $('detail').replaceChildren(el('p', { class: 'empty' }, 'Select an event.'));
            $('events').replaceChildren();
            showLogin('forgotten');
          });
          $('filters').addEventListener('submit', (e) => { e.preventDefault(); loadEvents(); });
          $('bulk-replay').addEventListener('click', bulkDryRun);
          $('bulk-confirm').addEventListener('click', bulkConfirm);
          $('bulk-cancel').addEventListener('click', () => {
            pendingBulk = null;
            $('bulk-confirm').hidden = true;
            $('bulk-cancel').hidden = true;
            say('Replay cancelled.');
          });
          for (const name of ['source', 'type', 'status', 'since']) {
            if (fragment[name]) $('f-' + name).value = fragment[name];
          }
          loadEvents().then(() => { if (fragment.event && !$('app').hidden) selectEvent(fragment.event); });
        }

        start();
        })();
        """#

    /// The whole page.
    static let html: [UInt8] = Array("""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <link rel="icon" href="data:,">
        <title>hookrelay inspector</title>
        <style>\(style)</style>
        </head>
        <body>
        <header><h1>hookrelay inspector</h1><button type="button" id="forget">Forget token</button></header>
        <section id="login" hidden>
        <h2>Admin token</h2>
        <p id="login-reason"></p>
        <form id="login-form" autocomplete="off">
        <input type="password" id="token-input" placeholder="HOOKRELAY_ADMIN_TOKEN" aria-label="admin token">
        <button type="submit">Open</button>
        </form>
        <p>Kept in this tab's session storage only, and sent as <code>Authorization: Bearer</code> to this server's admin API.</p>
        </section>
        <div id="app">
        <form id="filters" class="filters">
        <label>source<input id="f-source" size="10" placeholder="any"></label>
        <label>type<input id="f-type" size="16" placeholder="glob, e.g. invoice.*"></label>
        <label>status<select id="f-status">
        <option value="">any</option><option>stored</option><option>pending</option><option>retrying</option>
        <option>delivered</option><option>dead</option></select></label>
        <label>since<input id="f-since" size="8" placeholder="e.g. 24h"></label>
        <label>limit<select id="f-limit"><option>50</option><option selected>100</option><option>500</option><option>1000</option></select></label>
        <button type="submit" id="apply">Apply</button>
        <span id="bulk"><button type="button" id="bulk-replay">Replay failed deliveries matching filter…</button>
        <button type="button" id="bulk-confirm" hidden>Replay</button><button type="button" id="bulk-cancel" hidden>Cancel</button></span>
        </form>
        <div id="message" role="status"></div>
        <main>
        <div id="events-pane">
        <table><thead><tr><th>received</th><th>source</th><th>type</th><th>status</th><th>id</th></tr></thead>
        <tbody id="events"></tbody></table>
        <p id="events-empty" class="empty" hidden>No events match.</p>
        </div>
        <div id="detail"><p class="empty">Select an event.</p></div>
        </main>
        </div>
        <script>\(script)</script>
        </body>
        </html>

        """.utf8)

    /// Only this page's script and style (by hash), requests to its own origin, and nothing else.
    static let contentSecurityPolicy = [
        "default-src 'none'",
        "script-src '\(sourceHash(script))'",
        "style-src '\(sourceHash(style))'",
        "connect-src 'self'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// A CSP hash source for an inline element's text.
    static func sourceHash(_ text: String) -> String {
        "sha256-" + Base64.encode(Digest.hash(.sha256, Array(text.utf8)))
    }

    /// The page with its security headers; never cached (a new build may change it).
    static let response: HTTPResponse = {
        HTTPResponse(status: 200, headers: HTTPHeaders([
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
        ]), body: html)
    }()
}
