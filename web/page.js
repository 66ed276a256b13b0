// The registration page: country and number, "send code", a countdown until
// a new SMS or a call may be asked for, the code, "verified". It speaks to
// iotpd's page routes (/web/v1/..., the same handlers as /v1/... acting for
// the default app). In dev mode a simulated phone beside it shows what the
// dev inbox received for the number, as a phone shows an SMS.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const I18N = window.IOTP_I18N;
  let lastLookup = null; // the server's word on the number typed, or null
  const state = {
    lang: 'en', t: I18N.en, config: { dev: false, code_length: 6, app_name: 'iotp' },
    regions: [], session: null, e164: '', timers: null, tick: null, poll: null, lookupTimer: null,
  };

  // ---- words -------------------------------------------------------------
  function tr(key, vars) {
    let s = state.t[key] ?? I18N.en[key] ?? key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replace(`{${k}}`, v);
    return s;
  }

  function pickLanguage() {
    const asked = new URLSearchParams(location.search).get('lang') || localStorage.getItem('iotp.lang');
    const wanted = [asked, ...(navigator.languages || [navigator.language])].filter(Boolean);
    for (const tag of wanted) {
      const base = tag.toLowerCase().split('-')[0];
      if (I18N[base]) return base;
    }
    return 'en';
  }

  function applyLanguage(lang) {
    state.lang = lang;
    state.t = I18N[lang];
    document.documentElement.lang = lang;
    document.documentElement.dir = state.t.dir;
    document.title = tr('title');
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = tr(el.dataset.t);
    fillCountries();
    showPhoneHint();
    $('code-hint').textContent = tr('codeHint', { n: state.config.code_length });
    if (state.e164) {
      say($('sent-to'), 'sentTo', { phone: shownNumber() });
      say($('phone-to'), 'phoneFor', { phone: state.e164 });
    }
    renderCountdown();
  }

  // Fills el with the sentence key, each {var} in its own <bdi dir="ltr">: a
  // number stays left to right ("+44 7400 123456") inside right-to-left text.
  function say(el, key, vars) {
    const parts = tr(key).split(/(\{\w+\})/);
    el.replaceChildren(...parts.filter(Boolean).map((p) => {
      const m = /^\{(\w+)\}$/.exec(p);
      if (!m || !(m[1] in vars)) return document.createTextNode(p);
      const b = document.createElement('bdi');
      b.dir = 'ltr';
      b.textContent = vars[m[1]];
      return b;
    }));
  }

  // ---- errors ------------------------------------------------------------
  function fmtWait(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }

  function errorText(code, serverMessage, retryAfter) {
    const errs = state.t.errors || {};
    const en = I18N.en.errors;
    if (code && code.startsWith('rate_limited')) code = 'rate_limited';
    const own = errs[code] ?? (state.lang === 'en' ? en[code] : undefined);
    // A language that lacks a sentence shows the server's (in English).
    const text = own ?? serverMessage ?? en[code] ?? en.network;
    return text.replace('{t}', fmtWait(retryAfter || 0));
  }

  function showError(text) {
    const el = $('error');
    el.textContent = text || '';
  }

  // ---- the API -----------------------------------------------------------
  async function api(method, path, body) {
    let res;
    try {
      res = await fetch(`/web/v1${path}`, {
        method,
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      return { ok: false, status: 0, body: { error: { code: 'network' } } };
    }
    let json = {};
    try { json = await res.json(); } catch { /* an empty body */ }
    return { ok: res.ok, status: res.status, body: json, retryAfter: Number(res.headers.get('Retry-After')) || 0 };
  }

  function failed(r) {
    const e = r.body.error || {};
    showError(errorText(e.code, e.message, r.retryAfter));
    if (r.body.session) useSession(r.body.session);
    if (e.attempts_left !== undefined) $('attempts').textContent = tr('attemptsLeft', { n: e.attempts_left });
  }

  // The number as people write it internationally, once the lookup said so.
  function shownNumber() {
    return lastLookup && lastLookup.e164 === state.e164 ? lastLookup.international_format : state.e164;
  }

  // ---- countries -----------------------------------------------------------
  const flag = (r) => String.fromCodePoint(...[...r].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));

  function fillCountries() {
    const sel = $('country');
    const keep = sel.value || state.region;
    let names = null;
    try { names = new Intl.DisplayNames([state.lang], { type: 'region' }); } catch { /* old browser */ }
    const rows = state.regions.map((r) => ({ ...r, local: (names && names.of(r.region)) || r.name }));
    rows.sort((a, b) => a.local.localeCompare(b.local, state.lang));
    sel.replaceChildren(...rows.map((r) => {
      const o = document.createElement('option');
      o.value = r.region;
      o.textContent = `${flag(r.region)} ${r.local} (+${r.calling_code})`;
      return o;
    }));
    if (keep) sel.value = keep;
    state.region = sel.value;
    showPhoneHint();
  }

  function regionRow() { return state.regions.find((r) => r.region === $('country').value); }

  function showPhoneHint() {
    const r = regionRow();
    $('cc').textContent = r ? `+${r.calling_code}` : '+';
    if (r && r.example) say($('phone-hint'), 'phoneHint', { example: r.example });
    else $('phone-hint').textContent = '';
  }

  // Formats as the person types: the server's own lookup says what the
  // number is; the field takes its national form once they leave it.
  function lookupSoon() {
    clearTimeout(state.lookupTimer);
    $('number-info').textContent = '';
    lastLookup = null;
    const typed = $('phone').value.trim();
    if (typed.replace(/\D/g, '').length < 6) return;
    state.lookupTimer = setTimeout(async () => {
      const r = await api('GET', `/lookup/${encodeURIComponent(typed)}?region=${$('country').value}`);
      if (!r.ok || typed !== $('phone').value.trim()) return;
      lastLookup = r.body;
      if (r.body.region && r.body.region !== $('country').value) {
        $('country').value = r.body.region;
        showPhoneHint();
      }
      say($('number-info'), 'numberValid', {
        formatted: r.body.international_format, type: r.body.number_type.replace(/_/g, ' '),
      });
    }, 250);
  }

  // ---- proof of work (docs/fraud.md), asked of suspicious traffic ----------
  async function solve(challenge, difficulty) {
    const enc = new TextEncoder();
    for (let n = 0; ; n++) {
      const h = new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(`${challenge}:${n}`)));
      let bits = 0;
      for (const b of h) {
        if (b === 0) { bits += 8; continue; }
        bits += Math.clz32(b) - 24;
        break;
      }
      if (bits >= difficulty) return String(n);
    }
  }

  // ---- the flow ------------------------------------------------------------
  function show(step) {
    for (const id of ['step-number', 'step-code', 'step-done']) $(id).hidden = id !== step;
  }

  function useSession(s) {
    state.session = s;
    const now = Date.now();
    state.timers = {
      sms: s.next_sms === null ? null : now + s.next_sms * 1000,
      call: s.next_call === null ? null : now + s.next_call * 1000,
    };
    renderCountdown();
  }

  function renderCountdown() {
    if (!state.timers) return;
    const now = Date.now();
    const left = (at) => (at === null ? null : Math.max(0, (at - now) / 1000));
    const sms = left(state.timers.sms), call = left(state.timers.call);
    $('resend').disabled = sms === null || sms > 0;
    $('call').disabled = call === null || call > 0;
    const lines = [];
    if (sms === null) lines.push(tr('noMoreSms'));
    else if (sms > 0) lines.push(tr('resendIn', { t: fmtWait(sms) }));
    if (call !== null && call > 0) lines.push(tr('callIn', { t: fmtWait(call) }));
    if (!lines.length || (sms === 0 && (call === null || call === 0))) lines.push(tr('resendNow'));
    $('countdown').textContent = lines.join(' ');
  }

  async function sendCode(channel) {
    showError('');
    const r = await api('POST', `/sessions/${state.session.id}/code`, { channel, locale: state.lang });
    if (!r.ok) return failed(r);
    useSession(r.body);
    return true;
  }

  async function start(ev) {
    ev.preventDefault();
    showError('');
    const btn = $('send');
    btn.disabled = true;
    btn.textContent = tr('sending');
    try {
      let r = await api('POST', '/sessions', { phone: $('phone').value.trim(), region: $('country').value, locale: state.lang });
      if (!r.ok) { failed(r); $('phone').focus(); return; }
      let s = r.body;
      if ((s.requested_information || []).includes('proof_of_work')) {
        showError(tr('proving'));
        const pow = s.challenge.proof_of_work;
        r = await api('PATCH', `/sessions/${s.id}`, { proof_of_work: await solve(pow.challenge, pow.difficulty) });
        showError('');
        if (!r.ok) return failed(r);
        s = r.body;
      }
      state.session = s;
      state.e164 = s.phone;
      if (!(await sendCode('sms'))) return;
      say($('sent-to'), 'sentTo', { phone: shownNumber() });
      say($('phone-to'), 'phoneFor', { phone: s.phone });
      $('attempts').textContent = '';
      $('code').value = '';
      show('step-code');
      $('code').focus();
      clearInterval(state.tick);
      state.tick = setInterval(renderCountdown, 1000);
      pollInbox();
    } finally {
      btn.disabled = false;
      btn.textContent = tr('sendCode');
    }
  }

  // Takes the code out of whatever was typed or pasted: a whole SMS, "123-456",
  // Arabic-Indic digits.
  function codeOf(text) {
    const n = state.config.code_length;
    const western = text.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x660))
      .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x6f0));
    for (const m of western.matchAll(/\d[\d\- \u00a0]*\d|\d/g)) {
      const digits = m[0].replace(/\D/g, '');
      if (digits.length === n) return digits;
    }
    return western.replace(/\D/g, '').slice(0, n);
  }

  async function verify(ev) {
    ev.preventDefault();
    showError('');
    const code = codeOf($('code').value);
    $('code').value = code;
    const btn = $('verify');
    btn.disabled = true;
    btn.textContent = tr('checking');
    try {
      const r = await api('PUT', `/sessions/${state.session.id}/code`, { code });
      if (!r.ok) { failed(r); $('code').select(); return; }
      clearInterval(state.tick);
      say($('done-text'), 'verifiedText', { phone: shownNumber() });
      show('step-done');
      $('done-title').focus();
    } finally {
      btn.disabled = false;
      btn.textContent = tr('verify');
    }
  }

  function reset() {
    clearInterval(state.tick);
    state.session = null;
    state.timers = null;
    showError('');
    show('step-number');
    $('phone').focus();
  }

  // ---- the simulated phone (dev mode) -------------------------------------
  async function pollInbox() {
    clearTimeout(state.poll);
    if (!state.config.dev || !state.e164) return;
    const r = await api('GET', `/inbox?to=${encodeURIComponent(state.e164)}`);
    if (r.ok) renderInbox(r.body);
    state.poll = setTimeout(pollInbox, 1000);
  }

  let shown = '';
  function renderInbox(list) {
    const key = JSON.stringify(list);
    if (key === shown) return;
    shown = key;
    $('phone-empty').hidden = list.length > 0;
    const items = list.slice().reverse().map((m) => {
      const li = document.createElement('li');
      li.className = `sms ${m.channel}`;
      const from = document.createElement('p');
      from.className = 'sms-from';
      from.textContent = m.channel === 'voice' ? `📞 ${state.config.app_name}` : state.config.app_name;
      const text = document.createElement('p');
      text.className = 'sms-text';
      text.dir = 'auto';
      text.textContent = m.text;
      const at = document.createElement('time');
      at.className = 'sms-time';
      at.dateTime = m.sent_at;
      at.textContent = new Date(m.sent_at).toLocaleTimeString(state.lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
      li.append(from, text, at);
      return li;
    });
    $('sms-list').replaceChildren(...items);
  }

  // ---- start ---------------------------------------------------------------
  async function init() {
    const langSel = $('lang');
    langSel.replaceChildren(...Object.entries(I18N).map(([tag, d]) => {
      const o = document.createElement('option');
      o.value = tag;
      o.lang = tag;
      o.textContent = d.name;
      return o;
    }));
    const lang = pickLanguage();
    langSel.value = lang;
    langSel.addEventListener('change', () => {
      localStorage.setItem('iotp.lang', langSel.value);
      applyLanguage(langSel.value);
    });
    const [cfg, regions] = await Promise.all([api('GET', '/config'), api('GET', '/regions')]);
    if (cfg.ok) state.config = cfg.body;
    $('brand').textContent = state.config.app_name;
    $('phone-sim').hidden = !state.config.dev;
    state.regions = regions.ok ? regions.body.regions : [];
    const asked = new URLSearchParams(location.search).get('region');
    const guess = (navigator.language || '').split('-')[1];
    state.region = [asked, guess, 'GB'].find((r) => r && state.regions.some((x) => x.region === r.toUpperCase()));
    state.region = state.region ? state.region.toUpperCase() : '';
    applyLanguage(lang);
    $('code').maxLength = 64;
    $('country').addEventListener('change', () => { showPhoneHint(); lookupSoon(); });
    $('phone').addEventListener('input', lookupSoon);
    $('phone').addEventListener('blur', () => {
      if (lastLookup && lastLookup.national_format) $('phone').value = lastLookup.national_format;
    });
    $('code').addEventListener('paste', (e) => {
      const text = (e.clipboardData || window.clipboardData).getData('text');
      e.preventDefault();
      $('code').value = codeOf(text);
    });
    $('step-number').addEventListener('submit', start);
    $('step-code').addEventListener('submit', verify);
    $('resend').addEventListener('click', () => sendCode('sms'));
    $('call').addEventListener('click', () => sendCode('voice'));
    $('change').addEventListener('click', reset);
    $('again').addEventListener('click', () => { $('phone').value = ''; reset(); });
    document.body.classList.add('ready');
  }

  init();
})();
