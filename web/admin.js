// The operator dashboard: reads /v1/admin/... with the admin key the operator
// types (kept in sessionStorage: this tab only, gone when it closes), redraws
// every 5 seconds, and hides numbers until "Show numbers" is pressed.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { key: sessionStorage.getItem('iotp.admin') || '', reveal: false, timer: null, number: null };

  async function api(method, path, body) {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${state.key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      return { ok: false, status: 0, body: { error: { message: 'The server cannot be reached. Is iotpd running?' } } };
    }
    let json = {};
    try { json = await res.json(); } catch { /* empty */ }
    return { ok: res.ok, status: res.status, body: json };
  }

  const msg = (r) => (r.body.error && r.body.error.message) || `HTTP ${r.status}`;
  const pct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`);
  const when = (t) => (t ? new Date(t).toLocaleString() : '–');
  const clock = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  function cell(tr, text, cls) {
    const td = document.createElement('td');
    if (text instanceof Node) td.append(text); else td.textContent = text;
    if (cls) td.className = cls;
    tr.append(td);
    return td;
  }

  // ---- sign in -------------------------------------------------------------
  async function open(key) {
    state.key = key;
    const r = await api('GET', '/v1/admin/stats?range=15m');
    if (!r.ok) {
      $('login-error').textContent = msg(r);
      state.key = '';
      sessionStorage.removeItem('iotp.admin');
      $('login').hidden = false;
      $('key').focus();
      return;
    }
    sessionStorage.setItem('iotp.admin', key);
    $('login').hidden = true;
    $('main').hidden = false;
    $('tools').hidden = false;
    $('main').focus();
    refresh();
  }

  // ---- figures -------------------------------------------------------------
  async function refresh() {
    clearTimeout(state.timer);
    const range = $('range').value;
    const r = await api('GET', `/v1/admin/stats?range=${range}${state.reveal ? '&reveal=1' : ''}`);
    if (!r.ok) {
      $('status').textContent = `Could not read the figures: ${msg(r)}`;
    } else {
      draw(r.body);
      $('status').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    }
    state.timer = setTimeout(refresh, 5000);
  }

  function draw(s) {
    const refused = Object.values(s.refusals).reduce((a, b) => a + b, 0);
    $('t-sent').textContent = s.totals.sent;
    $('t-verified').textContent = s.totals.verified;
    $('t-conv').textContent = pct(s.totals.conversion);
    $('t-refused').textContent = refused;
    const labels = s.series.map((x) => clock(x.at));
    const refusedPer = s.series.map((x) => Object.values(x.refused).reduce((a, b) => a + b, 0));
    IotpChart.columns($('c-flow'), labels, [
      { name: 'sent', cls: 'sent', values: s.series.map((x) => x.sent) },
      { name: 'verified', cls: 'verified', values: s.series.map((x) => x.verified) },
      { name: 'refused', cls: 'refused', values: refusedPer },
    ], `Codes per ${s.step_seconds / 60} minutes: ${s.totals.sent} sent, ${s.totals.verified} verified, ${refused} refused.`);
    const conv = (rows, name) => rows.map((x) => ({
      label: name(x), value: x.conversion || 0, text: `${pct(x.conversion)} of ${x.sent}`,
    }));
    IotpChart.bars($('c-country'), conv(s.countries, (x) => `${x.region} ${x.name || ''}`.slice(0, 18)),
      `Conversion by country: ${s.countries.map((x) => `${x.region} ${pct(x.conversion)}`).join(', ') || 'none'}.`, 'No codes in this range.', 1);
    IotpChart.bars($('c-provider'), conv(s.providers, (x) => x.provider),
      `Conversion by provider: ${s.providers.map((x) => `${x.provider} ${pct(x.conversion)}`).join(', ') || 'none'}.`, 'No codes in this range.', 1);
    const counts = (obj, cls) => Object.entries(obj).sort((a, b) => b[1] - a[1])
      .map(([k, v]) => ({ label: k.replace(/_/g, ' '), value: v, text: String(v), cls: cls(k) }));
    IotpChart.bars($('c-status'), counts(s.deliveries, (k) => `st-${k}`),
      `Deliveries by status: ${Object.entries(s.deliveries).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}.`, 'No messages in this range.');
    IotpChart.bars($('c-refusals'), counts(s.refusals, () => 'refused'),
      `Refusals by reason: ${Object.entries(s.refusals).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}.`, 'Nothing refused in this range.');
    $('refusal-scope').textContent = `Counted by ${s.refusals_scope}.`;
    const rows = s.recent.map((x) => {
      const tr = document.createElement('tr');
      cell(tr, when(x.created_at));
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'quiet mono';
      b.textContent = x.phone;
      b.title = 'Show this number\'s timeline';
      b.addEventListener('click', () => openNumber(x.session_id));
      cell(tr, b);
      cell(tr, x.region);
      cell(tr, x.app);
      cell(tr, x.status.replace('_', ' '), `status ${x.status}`);
      cell(tr, `${x.sms_sent} / ${x.voice_sent}`);
      cell(tr, String(x.checks));
      return tr;
    });
    $('recent').tBodies[0].replaceChildren(...rows);
    if (!rows.length) {
      const tr = document.createElement('tr');
      cell(tr, 'No verification in this range.').colSpan = 7;
      $('recent').tBodies[0].append(tr);
    }
    loadBlocks();
  }

  // A row of the recent list names a session; its number is only known
  // masked, so the timeline is asked for by the session's number through the
  // revealed list.
  async function openNumber(sessionId) {
    const r = await api('GET', `/v1/admin/stats?range=${$('range').value}&reveal=1`);
    const row = r.ok && r.body.recent.find((x) => x.session_id === sessionId);
    if (!row) return;
    await search(row.phone);
    $('h-search').scrollIntoView();
  }

  // ---- number timeline -----------------------------------------------------
  async function search(phone) {
    $('search-error').textContent = '';
    const r = await api('GET', `/v1/admin/numbers/${encodeURIComponent(phone.replace(/[\s()-]/g, ''))}`);
    if (!r.ok) {
      $('search-error').textContent = msg(r);
      $('number').hidden = true;
      return;
    }
    state.number = r.body;
    $('n-reveal').setAttribute('aria-pressed', 'false');
    $('n-reveal').textContent = 'Show number';
    $('n-phone').textContent = r.body.masked;
    const n = r.body;
    const verified = n.sessions.filter((s) => s.verified_at).length;
    const checks = n.sessions.reduce((k, s) => k + s.check_times.length, 0);
    $('n-summary').textContent = `${n.country_name || n.region}: ${n.sessions.length} session(s), ${verified} verified, ` +
      `${checks} check(s), ${n.limits_hit.length} limit(s) hit, ${n.accounts.length} account(s).`;
    const items = n.timeline.map((e) => {
      const li = document.createElement('li');
      li.className = `ev ${e.type.replace(/\./g, '-')}`;
      const t = document.createElement('time');
      t.dateTime = e.at;
      t.textContent = when(e.at);
      const what = document.createElement('span');
      what.className = 'ev-type';
      what.textContent = e.type;
      const text = document.createElement('span');
      text.textContent = e.text;
      li.append(t, what, text);
      return li;
    });
    $('timeline').replaceChildren(...items);
    $('number').hidden = false;
  }

  // ---- fraud ---------------------------------------------------------------
  async function loadBlocks() {
    const r = await api('GET', '/v1/admin/blocks');
    if (!r.ok) return;
    const rows = r.body.blocks.map((b) => {
      const tr = document.createElement('tr');
      cell(tr, b.applies_to);
      cell(tr, b.measure, `status ${b.measure}`);
      cell(tr, when(b.since));
      cell(tr, `${Math.round(b.sent)} / ${Math.round(b.verified)} (baseline ${pct(b.baseline)})`);
      cell(tr, b.reason);
      const lift = document.createElement('button');
      lift.type = 'button';
      lift.textContent = 'Lift';
      lift.setAttribute('aria-label', `Lift the ${b.measure} measure on ${b.applies_to}`);
      lift.addEventListener('click', async () => {
        lift.disabled = true;
        const x = await api('POST', '/v1/admin/blocks/lift', { key: b.key });
        $('status').textContent = x.ok ? `Lifted the measure on ${b.applies_to}.` : `Could not lift it: ${msg(x)}`;
        loadBlocks();
      });
      cell(tr, lift);
      return tr;
    });
    $('blocks').tBodies[0].replaceChildren(...rows);
    $('blocks').hidden = rows.length === 0;
    $('no-blocks').hidden = rows.length > 0;
  }

  // ---- start ---------------------------------------------------------------
  $('login').addEventListener('submit', (e) => { e.preventDefault(); open($('key').value); });
  $('range').addEventListener('change', refresh);
  $('reveal').addEventListener('click', () => {
    state.reveal = !state.reveal;
    $('reveal').setAttribute('aria-pressed', String(state.reveal));
    $('reveal').textContent = state.reveal ? 'Hide numbers' : 'Show numbers';
    refresh();
  });
  $('n-reveal').addEventListener('click', () => {
    const on = $('n-reveal').getAttribute('aria-pressed') !== 'true';
    $('n-reveal').setAttribute('aria-pressed', String(on));
    $('n-reveal').textContent = on ? 'Hide number' : 'Show number';
    $('n-phone').textContent = on ? state.number.phone : state.number.masked;
  });
  $('search').addEventListener('submit', (e) => { e.preventDefault(); search($('q').value); });
  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem('iotp.admin');
    location.reload();
  });
  if (state.key) open(state.key); else $('key').focus();
})();
