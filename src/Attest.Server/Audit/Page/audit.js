// Attest auditors' page. Reads the ledger API with the auditor's token and verifies inclusion proofs in the
// browser: RFC 6962 hashing with WebCrypto SHA-256 from the entry's own leaf bytes, the root recomputed from the
// proof and compared with the root of the signed checkpoint, and the checkpoint's ECDSA P-256 note signature checked
// with the ledger key (or a key the auditor pins), and, when the auditor lists witness keys, the witnesses' Ed25519
// cosignatures (c2sp.org/tlog-cosignature). Nothing the server says is taken on trust but the key shown, and that
// one can be replaced. Text from the ledger is only ever set as textContent.
'use strict';

(() => {
  const API = '/v1/ledger';
  const PAGE_SIZE = 50;
  const CHART_PAGES = 5;          // at most the 5 x 1000 most recent matching decisions are charted
  const MAX_BUCKETS = 400;
  const TOKEN_KEY = 'attest.audit.token';
  const PINNED_KEY = 'attest.audit.pinnedKey';
  const WITNESS_KEYS = 'attest.audit.witnessKeys';
  const WITNESSES_REQUIRED = 'attest.audit.witnessesRequired';
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const enc = new TextEncoder();

  // auth: 'none' (no token), 'unchecked' (set, not yet answered), 'accepted', or 'refused' (the API said 401/403).
  const state = { checkpoint: null, cursors: [null], page: 0, next: null, filters: { order: 'desc' }, auth: 'none' };

  // ---- API access -------------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(path) {
    const headers = { Accept: 'application/json' };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = 'Bearer ' + token;
    let response;
    try {
      response = await fetch(API + path, { headers, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      throw new ApiError(0, 'the server cannot be reached (' + e.message + ')');
    }
    if (response.status === 401 || response.status === 403) {
      // The header and the banner say the same: a refused token is not kept, and the page is not signed in.
      if (token) sessionStorage.removeItem(TOKEN_KEY);
      setAuth(token ? 'refused' : 'none');
      throw new ApiError(response.status, response.status === 401
        ? (token ? 'Not signed in (401): the server refused the token (invalid, expired or its client revoked). Paste a new one above.'
                 : 'Not signed in (401): the API needs an access token with scope "audit". Paste one above and sign in.')
        : 'Not signed in (403): this token does not grant scope "audit". Paste one that does.');
    }
    if (token) setAuth('accepted');
    if (!response.ok) {
      let detail = response.statusText;
      try { const problem = await response.json(); detail = problem.detail || problem.title || detail; } catch { /* not JSON */ }
      throw new ApiError(response.status, detail + ' (' + response.status + ')');
    }
    return response.json();
  }

  function showMessage(text) {
    const el = $('message');
    el.textContent = text || '';
    el.hidden = !text;
  }

  function report(error) {
    showMessage(error instanceof ApiError ? error.message : 'Error: ' + error.message);
  }

  // ---- byte helpers -----------------------------------------------------------------------------------------
  function b64decode(text) {
    if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('not base64');
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }

  // RFC 6962 §2.1: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right).
  const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  // RFC 9162 §2.1.3.2: the root an inclusion proof implies for (index, size, leaf hash).
  async function rootFromInclusionProof(index, size, leaf, path) {
    let fn = BigInt(index);
    let sn = BigInt(size) - 1n;
    if (fn > sn) throw new Error('index ' + index + ' is not in a tree of size ' + size);
    let r = leaf;
    for (const p of path) {
      if (p.length !== 32) throw new Error('a proof hash is not 32 bytes');
      if (sn === 0n) throw new Error('the proof has more hashes than the tree has levels');
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n) throw new Error('the proof has fewer hashes than the tree needs');
    return r;
  }

  // ---- keys and signed notes --------------------------------------------------------------------------------
  // A key: { name (null for a PEM), keyId (4 bytes), spki (DER) }.
  async function parseKey(text) {
    text = text.trim();
    if (text.startsWith('-----BEGIN PUBLIC KEY-----')) {
      const body = text.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
      const spki = b64decode(body);
      return { name: null, keyId: (await sha256(spki)).slice(0, 4), spki };
    }
    const first = text.indexOf('+');
    const second = text.indexOf('+', first + 1);
    if (first <= 0 || second < 0) throw new Error('expected name+keyid+key or a PEM public key');
    const name = text.slice(0, first);
    const id = text.slice(first + 1, second);
    if (!/^[0-9a-f]{8}$/.test(id)) throw new Error('the key id must be 8 lowercase hex digits');
    const raw = b64decode(text.slice(second + 1));
    if (raw[0] !== 0x02) throw new Error('only ECDSA P-256 note keys (type 0x02) are supported here');
    const spki = raw.slice(1);
    const keyId = (await sha256(spki)).slice(0, 4);
    if (hex(keyId) !== id) throw new Error('the key id ' + id + ' does not match the key (' + hex(keyId) + ')');
    return { name, keyId, spki };
  }

  // c2sp.org/signed-note: text (ending in a newline), a blank line, then lines "— name base64(keyid || signature)".
  function parseNote(note) {
    const split = note.lastIndexOf('\n\n');
    if (split < 0) throw new Error('no blank line before the signatures');
    const text = note.slice(0, split + 1);
    const rest = note.slice(split + 2);
    if (!rest.endsWith('\n')) throw new Error('signature lines must end in a newline');
    const signatures = rest.slice(0, -1).split('\n').map((line) => {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      if (!m) throw new Error('malformed signature line');
      const blob = b64decode(m[2]);
      if (blob.length < 5) throw new Error('signature too short');
      return { name: m[1], keyId: blob.slice(0, 4), signature: blob.slice(4) };
    });
    const lines = text.split('\n');
    if (lines.length < 4) throw new Error('the checkpoint needs origin, size and root lines');
    if (!/^[0-9]{1,19}$/.test(lines[1])) throw new Error('the checkpoint size is not a number');
    const root = b64decode(lines[2]);
    if (root.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
    return { text, origin: lines[0], size: BigInt(lines[1]), root, signatures };
  }

  // ASN.1 DER ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }) to IEEE P1363 r || s, 32 bytes each, as WebCrypto wants.
  function derToP1363(der) {
    let at = 0;
    const length = () => {
      let n = der[at++];
      if (n === 0x81) n = der[at++];
      else if (n > 0x80) throw new Error('DER length too long');
      return n;
    };
    if (der[at++] !== 0x30) throw new Error('not a DER SEQUENCE');
    if (length() !== der.length - at) throw new Error('DER length mismatch');
    const integer = () => {
      if (der[at++] !== 0x02) throw new Error('not a DER INTEGER');
      const n = length();
      let value = der.slice(at, at + n);
      at += n;
      while (value.length > 32 && value[0] === 0) value = value.slice(1);
      if (value.length > 32) throw new Error('integer longer than 32 bytes');
      const out = new Uint8Array(32);
      out.set(value, 32 - value.length);
      return out;
    };
    const r = integer();
    const s = integer();
    if (at !== der.length) throw new Error('trailing bytes after the signature');
    return concat(r, s);
  }

  async function verifyNoteSignature(note, key) {
    const candidates = note.signatures.filter((s) => equal(s.keyId, key.keyId) && (key.name === null || s.name === key.name));
    if (candidates.length === 0) throw new Error('no signature by key ' + hex(key.keyId) + (key.name ? ' (' + key.name + ')' : ''));
    const cryptoKey = await crypto.subtle.importKey('spki', key.spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    for (const candidate of candidates) {
      const signature = derToP1363(candidate.signature);
      const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, cryptoKey, signature, enc.encode(note.text));
      if (!ok) throw new Error('the signature by key ' + hex(key.keyId) + ' does not verify');
    }
  }

  async function trustedKey() {
    const pinned = $('pinned-key').value.trim();
    if (pinned) return { key: await parseKey(pinned), pinned: true };
    const keys = state.checkpoint?.verifierKeys || [];
    if (keys.length === 0) throw new Error('the server shows no ledger key; pin one');
    return { key: await parseKey(keys[0]), pinned: false };
  }

  class Pending extends Error {
    constructor(what) { super('pending: no ' + (what || 'signed') + ' checkpoint covers this entry yet; verify again in a moment'); }
  }

  // ---- witnesses (c2sp.org/tlog-cosignature v1, Ed25519) ------------------------------------------------------
  // A witness key: name+id+base64(0x04 || 32-byte Ed25519 key); id = SHA-256(name || 0x0A || 0x04 || key)[:4].
  async function parseWitnessKey(text) {
    const first = text.indexOf('+');
    const second = text.indexOf('+', first + 1);
    if (first <= 0 || second < 0) throw new Error('expected name+keyid+key');
    const name = text.slice(0, first);
    const id = text.slice(first + 1, second);
    const raw = b64decode(text.slice(second + 1));
    if (raw.length !== 33 || raw[0] !== 0x04) throw new Error('"' + name + '" is not an Ed25519 cosignature key (type 0x04)');
    const key = raw.slice(1);
    const keyId = (await sha256(concat(enc.encode(name), Uint8Array.of(0x0a, 0x04), key))).slice(0, 4);
    if (hex(keyId) !== id) throw new Error('the key id ' + id + ' of "' + name + '" does not match the key (' + hex(keyId) + ')');
    const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
    return { name, keyId, cryptoKey };
  }

  // What the auditor requires: the listed witness keys and how many of them must have cosigned (0: none required).
  async function witnessPolicy() {
    const lines = $('witness-keys').value.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    const keys = [];
    for (const line of lines) keys.push(await parseWitnessKey(line));
    const text = $('witnesses-required').value.trim();
    const required = text === '' ? keys.length : Number(text);
    if (!Number.isInteger(required) || required < 0 || required > keys.length) throw new Error('between 0 and ' + keys.length + ' cosignatures can be required of ' + keys.length + ' witness keys');
    if (new Set(keys.map((k) => k.name)).size !== keys.length) throw new Error('each witness is listed once');
    return { keys, required };
  }

  // The distinct listed witnesses whose cosignature on the note verifies; lines by other keys are ignored.
  async function cosignedBy(note, keys) {
    const by = new Set();
    for (const s of note.signatures) {
      const key = keys.find((k) => k.name === s.name && equal(k.keyId, s.keyId));
      if (!key || s.signature.length !== 72) continue;
      let time = 0n;
      for (const b of s.signature.slice(0, 8)) time = (time << 8n) | BigInt(b);
      if (time >= 1n << 63n) continue;
      const message = enc.encode('cosignature/v1\ntime ' + time.toString() + '\n' + note.text);
      if (await crypto.subtle.verify({ name: 'Ed25519' }, key.cryptoKey, s.signature.slice(8), message)) by.add(key.name);
    }
    return by;
  }

  async function checkWitnessPolicy() {
    sessionStorage.setItem(WITNESS_KEYS, $('witness-keys').value);
    sessionStorage.setItem(WITNESSES_REQUIRED, $('witnesses-required').value);
    try {
      const policy = await witnessPolicy();
      $('witness-state').textContent = policy.required === 0 ? ''
        : policy.required + ' of ' + policy.keys.length + ' witness cosignatures required: ' + policy.keys.map((k) => k.name).join(', ');
    } catch (e) {
      $('witness-state').textContent = 'witness keys unusable: ' + e.message;
    }
  }

  // ---- inclusion proof verification -------------------------------------------------------------------------
  // Returns 'verified' or throws Error('<step>: <why>').
  async function verifyEntry(entry) {
    // Each step names itself in the failure, so the auditor sees which check did not hold.
    const step = async (name, action) => {
      try { return await action(); } catch (e) { throw new Error(name + ': ' + e.message); }
    };
    if (!globalThis.crypto?.subtle) throw new Error('WebCrypto: not available (the page must be served over HTTPS or from localhost)');
    const { key } = await step('key', trustedKey);
    const witnesses = await step('witness keys', witnessPolicy);
    let treeSize = '';
    if (witnesses.required > 0) {
      // Only a checkpoint the witnesses cosigned counts: prove against the newest one the server has.
      const cp = await step('witnessed checkpoint', () => api('/checkpoint'));
      if (!cp.witnessed) throw new Error('witness cosignatures: the server has no witnessed checkpoint');
      if (entry.index >= cp.witnessed.size) throw new Pending('witnessed');
      treeSize = '&treeSize=' + encodeURIComponent(cp.witnessed.size);
    }
    let proof;
    try {
      proof = await api('/proofs/inclusion?index=' + encodeURIComponent(entry.index) + treeSize);
    } catch (e) {
      // A new entry waits for the next checkpoint (about a second): not a failure, but nothing to verify yet.
      if (e instanceof ApiError && e.status === 404 && /not in the tree of size/.test(e.message)) throw new Pending();
      throw new Error('proof: ' + e.message);
    }
    if (!proof.checkpoint) throw new Error('checkpoint: the proof came without a signed checkpoint');
    const note = await step('checkpoint', () => parseNote(proof.checkpoint));
    await step('checkpoint signature', () => verifyNoteSignature(note, key));
    await step('checkpoint', () => {
      const origin = key.name ?? state.checkpoint?.origin;
      if (origin && note.origin !== origin) throw new Error('the checkpoint is for log "' + note.origin + '", expected "' + origin + '"');
      if (note.size !== BigInt(proof.treeSize)) throw new Error('the proof is for tree size ' + proof.treeSize + ', the checkpoint for ' + note.size);
    });
    if (witnesses.required > 0) {
      await step('witness cosignatures', async () => {
        const by = await cosignedBy(note, witnesses.keys);
        if (by.size < witnesses.required) {
          throw new Error(by.size + ' of the ' + witnesses.required + ' required cosignatures verify' + (by.size ? ' (' + [...by].join(', ') + ')' : ''));
        }
      });
    }
    const leaf = await step('leaf', () => {
      const bytes = b64decode(entry.leaf);
      const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      if (parsed.index !== entry.index || proof.index !== entry.index) throw new Error('the leaf bytes are for entry ' + parsed.index + ', not ' + entry.index);
      return leafHash(bytes);
    });
    const root = await step('inclusion proof', async () => {
      const path = proof.hashes.map(b64decode);
      return rootFromInclusionProof(entry.index, proof.treeSize, leaf, path);
    });
    if (!equal(root, note.root)) {
      throw new Error('inclusion proof: the recomputed root ' + hex(root).slice(0, 16) + '… differs from the signed checkpoint root ' + hex(note.root).slice(0, 16) + '…');
    }
    return 'verified';
  }

  // ---- checkpoint panel -------------------------------------------------------------------------------------
  async function loadCheckpoint() {
    const cp = await api('/checkpoint');
    state.checkpoint = cp;
    $('cp-origin').textContent = cp.origin;
    $('cp-size').textContent = String(cp.size);
    $('cp-root').textContent = hex(b64decode(cp.rootHash));
    $('cp-keys').textContent = cp.verifierKeys.join('\n');
    $('cp-note').textContent = cp.note;
    $('cp-witnessed').textContent = cp.witnessed
      ? 'size ' + cp.witnessed.size + ' (' + cp.witnessed.required + ' of ' + cp.witnessKeys.length + ' witnesses cosigned)'
      : (cp.witnessKeys ? 'not yet' : 'no witnesses configured');
  }

  async function checkPinnedKey() {
    const text = $('pinned-key').value.trim();
    sessionStorage.setItem(PINNED_KEY, text);
    if (!text) { $('pinned-state').textContent = ''; return; }
    try {
      const key = await parseKey(text);
      $('pinned-state').textContent = 'pinned key ' + hex(key.keyId) + (key.name ? ' (' + key.name + ')' : '') + ' is used for verification';
    } catch (e) {
      $('pinned-state').textContent = 'pinned key unusable: ' + e.message;
    }
  }

  // ---- entries table ----------------------------------------------------------------------------------------
  function filterQuery(extra) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...state.filters, ...extra })) if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
    return params.toString();
  }

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text ?? '';
    if (className) td.className = className;
    return td;
  }

  // A decision's reasons, each with the findings it follows from (causes), as nested lists of "code: message".
  function reasonList(reasons, depth) {
    const ul = document.createElement('ul');
    ul.className = 'reasons';
    for (const reason of (Array.isArray(reasons) ? reasons : []).slice(0, 16)) {
      if (!reason || typeof reason !== 'object') continue;
      const li = document.createElement('li');
      const code = document.createElement('span');
      code.className = 'code';
      code.textContent = String(reason.code ?? '');
      li.append(code, reason.message ? ': ' + String(reason.message) : '');
      if (Array.isArray(reason.causes) && reason.causes.length > 0 && depth < 4) li.append(reasonList(reason.causes, depth + 1));
      ul.append(li);
    }
    return ul;
  }

  function reasonsCell(entry) {
    const td = document.createElement('td');
    const reasons = entry.details && Array.isArray(entry.details.reasons) ? entry.details.reasons : [];
    if (reasons.length > 0) td.append(reasonList(reasons, 0));
    return td;
  }

  function imageCell(entry) {
    const td = cell(entry.image);
    for (const [text, title] of [[shortDigest(entry.digest), entry.digest], [entry.namespace ? 'namespace ' + entry.namespace : null, null]]) {
      if (!text) continue;
      const sub = document.createElement('span');
      sub.className = 'sub mono';
      sub.textContent = text;
      if (title) sub.title = title;
      td.append(sub);
    }
    return td;
  }

  function shortDigest(digest) {
    return digest && digest.length > 23 ? digest.slice(0, 19) + '…' + digest.slice(-4) : digest;
  }

  function renderEntries(entries) {
    const body = $('entries').tBodies[0];
    body.replaceChildren();
    for (const entry of entries) {
      const tr = document.createElement('tr');
      tr.dataset.index = String(entry.index);
      tr.append(cell(String(entry.index)), cell(entry.recordedAt), cell(entry.kind), imageCell(entry),
        cell(entry.verdict, entry.verdict ? 'verdict verdict-' + entry.verdict : ''), reasonsCell(entry), cell(entry.client ?? entry.identity));
      const proofCell = document.createElement('td');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'verify';
      button.textContent = 'Verify';
      const result = document.createElement('span');
      result.className = 'proof-result';
      button.addEventListener('click', async (event) => {
        event.stopPropagation();
        result.className = 'proof-result';
        result.textContent = 'verifying…';
        try {
          result.textContent = await verifyEntry(entry);
          result.classList.add('ok');
        } catch (e) {
          result.textContent = e instanceof Pending ? e.message : 'FAILED: ' + e.message;
          result.classList.add(e instanceof Pending ? 'pending' : 'failed');
        }
      });
      proofCell.append(button, ' ', result);
      tr.append(proofCell);
      tr.addEventListener('click', () => {
        $('entry-json').textContent = JSON.stringify(entry, null, 2);
        $('entry-details').open = true;
      });
      body.append(tr);
    }
    if (entries.length === 0) {
      const tr = document.createElement('tr');
      const td = cell('No entries match.');
      td.colSpan = 8;
      tr.append(td);
      body.append(tr);
    }
  }

  async function loadPage() {
    const cursor = state.cursors[state.page];
    const page = await api('/entries?' + filterQuery({ limit: PAGE_SIZE, cursor }));
    state.next = page.nextCursor ?? null;
    renderEntries(page.entries);
    $('next-page').disabled = state.next === null;
    $('first-page').disabled = state.page === 0;
    $('page-state').textContent = 'page ' + (state.page + 1) + (state.filters.order === 'asc' ? ' (oldest first)' : ' (newest first)') +
      (page.entries.length ? ', entries ' + page.entries[0].index + '–' + page.entries[page.entries.length - 1].index : '');
  }

  // ---- checksum database conflicts --------------------------------------------------------------------------
  const CONFLICTS = 100;

  async function loadConflicts() {
    const page = await api('/entries?kind=gosum.conflict&order=desc&limit=' + CONFLICTS);
    const body = $('conflicts').tBodies[0];
    body.replaceChildren();
    for (const entry of page.entries) {
      const d = entry.details || {};
      const tr = document.createElement('tr');
      tr.dataset.index = String(entry.index);
      tr.append(cell(String(entry.index)), cell(entry.recordedAt), cell(entry.image), cell(d.recordedHash, 'mono'), cell(d.offeredHash, 'mono'),
        cell(d.uploader ?? entry.client), cell(d.recordedBy));
      body.append(tr);
    }
    $('conflicts-state').textContent = page.entries.length === 0
      ? 'No refused changes.'
      : page.entries.length + ' refused change' + (page.entries.length === 1 ? '' : 's') + (page.nextCursor ? ' (the ' + CONFLICTS + ' most recent)' : '');
  }

  // ---- chart ------------------------------------------------------------------------------------------------
  const VERDICTS = ['allow', 'warn', 'waived', 'deny'];

  function bucketStart(time, bucket) {
    const d = new Date(time);
    if (bucket === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
  }

  function svg(name, attributes, text) {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  async function loadChart() {
    const bucket = $('chart-bucket').value === 'hour' ? 'hour' : 'day';
    const step = bucket === 'day' ? 86400000 : 3600000;
    const counts = new Map();
    let cursor = null;
    let total = 0;
    let capped = false;
    for (let i = 0; i < CHART_PAGES; i++) {
      const page = await api('/entries?' + filterQuery({ kind: 'admission.decision', verdict: state.filters.verdict, order: 'desc', limit: 1000, cursor }));
      for (const e of page.entries) {
        if (!VERDICTS.includes(e.verdict) || !e.recordedAt) continue;
        const key = bucketStart(e.recordedAt, bucket);
        const row = counts.get(key) || { allow: 0, warn: 0, deny: 0 };
        row[e.verdict]++;
        counts.set(key, row);
        total++;
      }
      cursor = page.nextCursor ?? null;
      if (cursor === null) break;
      if (i === CHART_PAGES - 1) capped = true;
    }
    const chart = $('chart');
    chart.replaceChildren();
    if (counts.size === 0) { $('chart-state').textContent = 'No admission decisions match.'; return; }
    const keys = [...counts.keys()].sort((a, b) => a - b);
    let first = keys[0];
    const last = keys[keys.length - 1];
    if ((last - first) / step + 1 > MAX_BUCKETS) first = last - (MAX_BUCKETS - 1) * step;
    const buckets = [];
    for (let t = first; t <= last; t += step) buckets.push({ t, ...(counts.get(t) || { allow: 0, warn: 0, deny: 0 }) });
    const max = Math.max(1, ...buckets.map((b) => b.allow + b.warn + b.deny));

    const width = 760, height = 240, left = 40, bottom = 40, top = 10;
    const plotW = width - left - 10, plotH = height - top - bottom;
    const barW = plotW / buckets.length;
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': 'admission decisions per ' + bucket, id: 'chart-svg' });
    root.append(svg('line', { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, class: 'axis' }));
    root.append(svg('line', { x1: left, y1: top, x2: left, y2: top + plotH, class: 'axis' }));
    root.append(svg('text', { x: left - 4, y: top + 10, class: 'tick', 'text-anchor': 'end' }, String(max)));
    root.append(svg('text', { x: left - 4, y: top + plotH, class: 'tick', 'text-anchor': 'end' }, '0'));
    const labelEvery = Math.max(1, Math.ceil(buckets.length / 8));
    buckets.forEach((b, i) => {
      let y = top + plotH;
      for (const verdict of VERDICTS) {
        if (!b[verdict]) continue;
        const h = (b[verdict] / max) * plotH;
        y -= h;
        const rect = svg('rect', { x: left + i * barW + 1, y, width: Math.max(1, barW - 2), height: h, class: 'bar bar-' + verdict, 'data-bucket': new Date(b.t).toISOString(), 'data-verdict': verdict, 'data-count': b[verdict] });
        rect.append(svg('title', {}, new Date(b.t).toISOString().slice(0, bucket === 'day' ? 10 : 13) + ' ' + verdict + ': ' + b[verdict]));
        root.append(rect);
      }
      if (i % labelEvery === 0) {
        const label = bucket === 'day' ? new Date(b.t).toISOString().slice(5, 10) : new Date(b.t).toISOString().slice(5, 13).replace('T', ' ') + 'h';
        root.append(svg('text', { x: left + i * barW + barW / 2, y: top + plotH + 14, class: 'tick', 'text-anchor': 'middle' }, label));
      }
    });
    VERDICTS.forEach((verdict, i) => {
      root.append(svg('rect', { x: left + i * 80, y: height - 14, width: 10, height: 10, class: 'bar bar-' + verdict }));
      root.append(svg('text', { x: left + i * 80 + 14, y: height - 5, class: 'tick' }, verdict));
    });
    chart.append(root);
    $('chart-state').textContent = total + ' decisions charted per ' + bucket + ' (UTC)' + (capped ? '; only the ' + CHART_PAGES * 1000 + ' most recent matching decisions' : '');
  }

  // ---- wiring -----------------------------------------------------------------------------------------------
  const AUTH_TEXT = {
    none: 'not signed in',
    unchecked: 'token set for this tab; checking…',
    accepted: 'signed in (token accepted)',
    refused: 'not signed in: the token was refused',
  };

  function setAuth(auth) {
    state.auth = auth;
    showSignIn();
  }

  function showSignIn() {
    const hasToken = !!sessionStorage.getItem(TOKEN_KEY);
    if (!hasToken && (state.auth === 'unchecked' || state.auth === 'accepted')) state.auth = 'none';
    if (hasToken && (state.auth === 'none' || state.auth === 'refused')) state.auth = 'unchecked';
    const el = $('signin-state');
    el.textContent = AUTH_TEXT[state.auth];
    el.className = 'signin-state' + (state.auth === 'refused' ? ' refused' : '');
    el.dataset.auth = state.auth;
    $('signout-button').disabled = !hasToken;
  }

  async function refresh() {
    showMessage('');
    try {
      await loadCheckpoint();
      await loadPage();
      await loadChart();
      await loadConflicts();
    } catch (e) {
      report(e);
    }
  }

  function readFilters() {
    const text = $('search-text').value.trim();
    const filters = { kind: $('search-kind').value, verdict: $('search-verdict').value, order: $('oldest-first').checked ? 'asc' : 'desc' };
    if (/^sha256:[0-9a-f]{64}$/.test(text)) filters.digest = text;
    else if (text) filters.image = text;
    const identity = $('search-identity').value.trim();
    if (identity) filters.identity = identity;
    return filters;
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('signin').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      if (token) state.auth = 'unchecked';
      showSignIn();
      refresh();
    });
    $('signout-button').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      state.auth = 'none';
      showSignIn();
      refresh();
    });
    $('search').addEventListener('submit', (event) => {
      event.preventDefault();
      state.filters = readFilters();
      state.cursors = [null];
      state.page = 0;
      Promise.resolve().then(loadPage).then(loadChart).then(() => showMessage(''), report);
    });
    $('next-page').addEventListener('click', () => {
      if (state.next === null) return;
      state.cursors[state.page + 1] = state.next;
      state.page++;
      loadPage().catch(report);
    });
    $('first-page').addEventListener('click', () => {
      state.page = 0;
      loadPage().catch(report);
    });
    $('chart-bucket').addEventListener('change', () => loadChart().catch(report));
    $('pinned-key').value = sessionStorage.getItem(PINNED_KEY) || '';
    $('pinned-key').addEventListener('change', checkPinnedKey);
    $('witness-keys').value = sessionStorage.getItem(WITNESS_KEYS) || '';
    $('witnesses-required').value = sessionStorage.getItem(WITNESSES_REQUIRED) || '';
    $('witness-keys').addEventListener('change', checkWitnessPolicy);
    $('witnesses-required').addEventListener('change', checkWitnessPolicy);
    checkPinnedKey();
    showSignIn();
    refresh();
  });
})();
