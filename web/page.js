// The registration page: country and number, "send code", a countdown until
// a new SMS or a call may be asked for, the code, "verified" — then what an
// app does with a verified number: register this browser as the number's
// device, set a two-step PIN, change the number (a code to the current number,
// then one to the new). It speaks to iotpd's page routes (/web/v1/..., the
// same handlers as /v1/... acting for the default app; the account steps send
// the device credential registration gave, as a phone would). In dev mode a
// simulated phone beside it shows what the dev inbox received for the number,
// as a phone shows an SMS.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const I18N = window.IOTP_I18N;
  let lastLookup = null; // the server's word on the number typed, or null
  const state = {
    lang: 'en', t: I18N.en, config: { dev: false, code_length: 6, app_name: 'iotp' },
    regions: [], session: null, e164: '', timers: null, tick: null, poll: null, lookupTimer: null,
    // What the verified number is for: 'verify' (the first flow), 'old' and
    // 'new' (the two codes of a change of number).
    purpose: 'verify', oldSession: null,
    credential: null, account: null, accountNote: null, // the device this page registered
  };
  const STEPS = ['step-number', 'step-code', 'step-done', 'step-register', 'step-account', 'step-pin',
    'step-change-pin'];

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
    showPurpose();
    if (state.account) renderAccount();
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
    if (code === 'session_not_found') code = 'session_expired';
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
  // As the device, with device set: its credential in Authorization.
  async function api(method, path, body, device) {
    let res;
    const headers = body ? { 'Content-Type': 'application/json' } : {};
    if (device) headers.Authorization = `Device ${state.credential}`;
    try {
      res = await fetch(`/web/v1${path}`, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      return { ok: false, status: 0, body: { error: { code: 'network' } } };
    }
    let json = {};
    try { json = await res.json(); } catch { /* an empty body */ }
    return { ok: res.ok, status: res.status, body: json, retryAfter: Number(res.headers.get('Retry-After')) || 0 };
  }

  // Shows the API's refusal; attempts left (of a code or a PIN) go to hint.
  function failed(r, hint = $('attempts')) {
    const e = r.body.error || {};
    let code = e.code;
    // A field the person typed, by its name: the page's own sentence for it.
    if (/^(invalid_field|missing_field|invalid_field_type)$/.test(code) && ['pin', 'name', 'device'].includes(e.field))
      code = e.field === 'pin' ? 'pin_format' : 'device_name';
    showError(errorText(code, e.message, r.retryAfter || e.retry_after));
    if (r.body.session) useSession(r.body.session);
    hint.textContent = e.attempts_left !== undefined && e.code !== 'pin_locked' ? tr('attemptsLeft', { n: e.attempts_left }) : '';
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
  // Shows one step; focus goes to focusId, so a keyboard or a screen reader
  // follows the page.
  function show(step, focusId) {
    for (const id of STEPS) $(id).hidden = id !== step;
    if (focusId) $(focusId).focus();
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
      await verified();
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
    show('step-number', 'phone');
  }

  // ---- after "verified": the account steps --------------------------------
  async function verified() {
    if (state.purpose === 'old') { // the current number is proven: now the new one
      state.oldSession = state.session.id;
      setPurpose('new');
      $('phone').value = '';
      lastLookup = null;
      $('number-info').textContent = '';
      reset();
      return;
    }
    if (state.purpose === 'new') return changeNumber(null);
    say($('done-text'), 'verifiedText', { phone: shownNumber() });
    show('step-done', 'done-title');
  }

  function setPurpose(p) {
    state.purpose = p;
    showPurpose();
  }

  function showPurpose() {
    const el = $('purpose');
    el.hidden = state.purpose === 'verify';
    if (state.purpose === 'old') say(el, 'changeOld', { phone: state.account.phone });
    else if (state.purpose === 'new') el.textContent = tr('changeNew');
  }

  function startRegister() {
    showError('');
    $('device-name').value = $('device-name').value || tr('deviceNameDefault');
    $('reg-pin-box').hidden = true;
    $('reg-pin').value = '';
    show('step-register', 'register-title');
  }

  // A PIN refusal shows the PIN field (box), its attempts left in hint.
  const PIN_REFUSALS = ['pin_required', 'incorrect_pin', 'pin_wait', 'pin_locked', 'pin_format'];
  function pinRefused(r) {
    const e = r.body.error || {};
    return PIN_REFUSALS.includes(e.code) || (e.code === 'invalid_field' && e.field === 'pin');
  }

  async function register(ev) {
    ev.preventDefault();
    showError('');
    // No name is no field: the API's missing_field names it, and the page says so.
    const name = $('device-name').value.trim();
    const body = { session_id: state.session.id, device: name ? { name } : {} };
    const pinAsked = !$('reg-pin-box').hidden;
    if (pinAsked) body.pin = $('reg-pin').value.trim();
    const r = await busy($('register'), 'checking', () => api('POST', '/accounts', body));
    if (!r.ok) {
      failed(r, $('reg-pin-hint'));
      if (pinRefused(r)) {
        $('reg-pin-box').hidden = false;
        $('reg-pin').select();
        $('reg-pin').focus();
      } else {
        $('device-name').focus();
      }
      return;
    }
    state.credential = r.body.credential;
    showAccount(r.body.account, 'registered');
  }

  function showAccount(account, note, vars) {
    state.account = account;
    state.accountNote = note ? [note, vars] : null;
    setPurpose('verify');
    renderAccount();
    show('step-account', 'account-title');
  }

  function renderAccount() {
    const a = state.account;
    const num = document.createElement('bdi'); // a number reads left to right, in Arabic too
    num.dir = 'ltr';
    num.textContent = a.phone;
    $('acc-phone').replaceChildren(num);
    $('acc-device').textContent = a.device.name;
    $('acc-pin').textContent = tr(a.pin.enabled ? 'pinOn' : 'pinOff');
    if (state.accountNote) say($('account-status'), state.accountNote[0], state.accountNote[1] || {});
    else $('account-status').textContent = '';
  }

  function startPin() {
    showError('');
    $('pin1').value = '';
    $('pin2').value = '';
    show('step-pin', 'pin-title');
  }

  async function savePin(ev) {
    ev.preventDefault();
    showError('');
    const pin = $('pin1').value.trim();
    if (pin !== $('pin2').value.trim()) {
      showError(tr('pinsDiffer'));
      $('pin2').select();
      $('pin2').focus();
      return;
    }
    const r = await busy($('save-pin'), 'checking', () => api('PUT', '/accounts/me/pin', { pin }, true));
    if (!r.ok) {
      failed(r);
      $('pin1').select();
      $('pin1').focus();
      return;
    }
    showAccount(r.body.account, 'pinSaved');
  }

  // A change of number: a code to the account's number, then one to the new
  // number (the number and code steps, with the purpose above them).
  function startChange() {
    showError('');
    setPurpose('old');
    state.oldSession = null;
    $('phone').value = state.account.phone; // the lookup sets the country from it
    lookupSoon();
    reset();
  }

  async function changeNumber(pin) {
    const body = { old_session_id: state.oldSession, new_session_id: state.session.id };
    if (pin !== null) body.pin = pin;
    const r = await api('POST', '/accounts/me/number', body, true);
    if (r.ok) return showAccount(r.body.account, 'numberChanged', { phone: r.body.account.phone });
    if (pinRefused(r)) {
      show('step-change-pin', 'change-pin');
      failed(r, $('change-pin-hint'));
      $('change-pin').select();
      return;
    }
    // The new number will not do (the same number, another account's...):
    // the person types another.
    failed(r);
    show('step-number', 'phone');
    $('phone').select();
  }

  async function changeWithPin(ev) {
    ev.preventDefault();
    showError('');
    await busy($('change-go'), 'checking', () => changeNumber($('change-pin').value.trim()));
  }

  // Runs fn with btn disabled and saying busyKey meanwhile.
  async function busy(btn, busyKey, fn) {
    const key = btn.dataset.t;
    btn.disabled = true;
    btn.textContent = tr(busyKey);
    try {
      return await fn();
    } finally {
      btn.disabled = false;
      btn.textContent = tr(key);
    }
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
    $('again').addEventListener('click', () => { $('phone').value = ''; setPurpose('verify'); reset(); });
    $('to-register').addEventListener('click', startRegister);
    $('step-register').addEventListener('submit', register);
    $('to-pin').addEventListener('click', startPin);
    $('step-pin').addEventListener('submit', savePin);
    $('to-change').addEventListener('click', startChange);
    $('step-change-pin').addEventListener('submit', changeWithPin);
    for (const b of document.querySelectorAll('button.back')) {
      b.addEventListener('click', () => { showError(''); show('step-account', 'account-title'); });
    }
    document.body.classList.add('ready');
  }

  init();
})();
