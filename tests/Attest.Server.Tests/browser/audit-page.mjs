// Drives the auditors' page in Debian's headless Chromium with playwright-core (never a downloaded browser).
// Run by AuditPageBrowserTests: node audit-page.mjs, configured through the environment:
//   AUDIT_URL       the server's base URL (http://127.0.0.1:PORT/)
//   CHROMIUM        the chromium executable
//   AUDIT_TOKEN     the access token to sign in with
//   VERIFY_INDEX    an entry (on the first page) whose proof is verified, then tampered with
//   SEARCH_DIGEST   a digest to search for
//   LEDGER_KEY      the ledger's verifier key (pinned: must verify); WRONG_KEY another key (pinned: must fail)
//   AUDIT_SCREENSHOT a PNG path: the page as a 1280x800 window shows it after signing in (checked by the test)
// Prints one JSON object of observations on stdout; the C# test asserts on them. Exits 1 with a message on errors.
import { chromium } from 'playwright-core';

const env = process.env;
for (const name of ['AUDIT_URL', 'CHROMIUM', 'AUDIT_TOKEN', 'VERIFY_INDEX', 'SEARCH_DIGEST', 'LEDGER_KEY', 'WRONG_KEY', 'AUDIT_SCREENSHOT']) {
  if (!env[name]) { console.error(`audit-page.mjs: ${name} is not set`); process.exit(2); }
}
const TIMEOUT = 20000;

const browser = await chromium.launch({
  executablePath: env.CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const result = { consoleErrors: [], authorization: [] };
try {
  // A common laptop window: the page must fit it without horizontal scrolling.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  // Errors in the console (CSP violations, script errors), except the 401/403/404 this script provokes on purpose.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[134] /.test(m.text())) result.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => result.consoleErrors.push(e.message));
  page.on('request', (r) => { if (r.url().includes('/v1/ledger/')) result.authorization.push(r.headers()['authorization'] ?? null); });

  const response = await page.goto(new URL('audit/', env.AUDIT_URL).href);
  result.status = response.status();
  result.csp = response.headers()['content-security-policy'] ?? null;

  // Sign in through the page's box; every API call from then on carries the token.
  // Before signing in: entries (no authentication yet) or the page's sign-in message, whichever the server gives.
  await page.waitForFunction(() => document.querySelector('#entries tbody tr') || !document.querySelector('#message').hidden);
  result.authorization.length = 0;
  await page.fill('#token', env.AUDIT_TOKEN);
  await page.click('#signin-button');
  await page.waitForSelector('#entries tbody tr[data-index]');
  await page.waitForSelector('#chart-svg');
  await page.waitForFunction(() => document.querySelector('#signin-state')?.dataset.auth === 'accepted');
  result.signInState = await page.textContent('#signin-state');

  // Layout at 1280x800: no horizontal scrolling, the table inside its card, every Verify button inside the window;
  // each denial shows its reasons and their causes in the table itself.
  result.layout = await page.evaluate(() => {
    const table = document.querySelector('#entries').getBoundingClientRect();
    const card = document.querySelector('#search-section').getBoundingClientRect();
    const buttons = [...document.querySelectorAll('#entries button.verify')].map((b) => b.getBoundingClientRect());
    return {
      viewportWidth: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      tableRight: table.right,
      cardRight: card.right,
      buttons: buttons.length,
      buttonsInside: buttons.filter((b) => b.left >= 0 && b.right <= window.innerWidth && b.width > 0).length,
    };
  });
  result.denyReasons = await page.$$eval('#entries tbody tr[data-index]', (rows) => rows
    .filter((r) => r.cells[4].textContent === 'deny')
    .map((r) => [...r.cells[5].querySelectorAll('li')].map((li) => li.firstChild.textContent)));
  await page.locator('#entries tbody tr[data-index]').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: env.AUDIT_SCREENSHOT }); // the window, not the full page: what a person sees
  result.listed = await page.$$eval('#entries tbody tr[data-index]', (rows) => rows.map((r) => Number(r.dataset.index)));
  result.checkpointSize = await page.textContent('#cp-size');
  result.shownKey = await page.textContent('#cp-keys');

  // The chart: one bar segment per (bucket, verdict), per day by default, then per hour.
  const bars = () => page.$$eval('#chart-svg rect.bar[data-count]', (rs) => rs.map((r) => ({ bucket: r.dataset.bucket, verdict: r.dataset.verdict, count: Number(r.dataset.count) })));
  result.chartPerDay = await bars();
  await page.selectOption('#chart-bucket', 'hour');
  await page.waitForFunction(() => document.querySelector('#chart-state')?.textContent.includes('per hour'));
  result.chartPerHour = await bars();

  const row = page.locator(`#entries tbody tr[data-index="${env.VERIFY_INDEX}"]`);
  const verify = async () => {
    await row.locator('button.verify').click();
    const cell = row.locator('.proof-result');
    await page.waitForFunction((el) => el.textContent && el.textContent !== 'verifying…', await cell.elementHandle());
    return cell.textContent();
  };
  result.verified = await verify();

  // Tampered proof: one bit of the first proof hash flipped in transit.
  const proofs = '**/v1/ledger/proofs/inclusion*';
  await page.route(proofs, async (route) => {
    const original = await route.fetch();
    const json = await original.json();
    const hash = Buffer.from(json.hashes[0], 'base64');
    hash[0] ^= 0x01;
    json.hashes[0] = hash.toString('base64');
    await route.fulfill({ response: original, json });
  });
  result.tamperedProof = await verify();
  await page.unroute(proofs);

  // Tampered checkpoint: the last byte of the note signature changed (still well-formed DER).
  await page.route(proofs, async (route) => {
    const original = await route.fetch();
    const json = await original.json();
    const lines = json.checkpoint.split('\n');
    const at = lines.findIndex((l) => l.startsWith('\u2014 '));
    const [dash, name, blob] = lines[at].split(' ');
    const bytes = Buffer.from(blob, 'base64');
    bytes[bytes.length - 1] ^= 0x01;
    lines[at] = [dash, name, bytes.toString('base64')].join(' ');
    json.checkpoint = lines.join('\n');
    await route.fulfill({ response: original, json });
  });
  result.tamperedSignature = await verify();
  await page.unroute(proofs);

  // Tampered checkpoint text: another root, with the original signature.
  await page.route(proofs, async (route) => {
    const original = await route.fetch();
    const json = await original.json();
    const lines = json.checkpoint.split('\n');
    const root = Buffer.from(lines[2], 'base64');
    root[5] ^= 0x80;
    lines[2] = root.toString('base64');
    json.checkpoint = lines.join('\n');
    await route.fulfill({ response: original, json });
  });
  result.tamperedCheckpointRoot = await verify();
  await page.unroute(proofs);
  result.verifiedAgain = await verify();

  // An entry no checkpoint covers yet (the server's 404 for it): pending, not failed.
  await page.route(proofs, (route) => route.fulfill({
    status: 404,
    contentType: 'application/problem+json',
    body: JSON.stringify({ title: 'Not found', status: 404, detail: `entry ${env.VERIFY_INDEX} is not in the tree of size 3 (not yet covered by that checkpoint)` }),
  }));
  result.pending = await verify();
  await page.unroute(proofs);

  // Pinned keys: a stranger's key fails at the signature; the ledger's own key, pinned, verifies.
  const pin = async (key) => {
    await page.fill('#pinned-key', key);
    await page.dispatchEvent('#pinned-key', 'change');
    await page.waitForFunction(() => document.querySelector('#pinned-state')?.textContent !== '');
    return page.textContent('#pinned-state');
  };
  result.wrongPinState = await pin(env.WRONG_KEY);
  result.wrongPin = await verify();
  result.rightPinState = await pin(env.LEDGER_KEY);
  result.rightPin = await verify();
  await page.fill('#pinned-key', '');
  await page.dispatchEvent('#pinned-key', 'change');

  // Search by digest: only entries with that digest remain.
  await page.fill('#search-text', env.SEARCH_DIGEST);
  await page.click('#search button[type=submit]');
  await page.waitForFunction((digest) => {
    const rows = [...document.querySelectorAll('#entries tbody tr[data-index]')];
    return rows.length > 0 && rows.every((r) => r.cells[3].querySelector('.sub')?.title === digest);
  }, env.SEARCH_DIGEST);
  result.searchDigest = await page.$$eval('#entries tbody tr[data-index]', (rows) => rows.map((r) => Number(r.dataset.index)));

  // Search by image and verdict: the reference as recorded, then its repository alone in another spelling.
  for (const [key, text] of [['searchImageDeny', 'registry.example.com/prod/api:v2'], ['searchRepositoryDeny', 'REGISTRY.example.com/prod/api']]) {
    await page.fill('#search-text', text);
    await page.selectOption('#search-verdict', 'deny');
    await page.click('#search button[type=submit]');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#entries tbody tr[data-index]')];
      return rows.length > 0 && rows.every((r) => r.cells[3].childNodes[0].textContent === 'registry.example.com/prod/api:v2' && r.cells[4].textContent === 'deny');
    });
    result[key] = await page.$$eval('#entries tbody tr[data-index]', (rows) => rows.map((r) => Number(r.dataset.index)));
    await page.fill('#search-text', 'registry.example.com/none');
    await page.click('#search button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#entries tbody tr[data-index]').length === 0);
  }

  result.tokenHeaders = [...new Set(result.authorization)];

  // The server refusing the token (401) and the scope (403): the page says so.
  for (const status of [401, 403]) {
    await page.route('**/v1/ledger/**', (route) => route.fulfill({ status, contentType: 'application/problem+json', body: '{"title":"refused"}' }));
    if (status === 401) {
      await page.click('#signout-button');
      result.signedOutState = await page.textContent('#signin-state');
    } else {
      await page.fill('#token', 'token-without-audit-scope');
      await page.click('#signin-button');
    }
    await page.waitForFunction(() => !document.querySelector('#message').hidden);
    result['message' + status] = await page.textContent('#message');
    result['state' + status] = await page.textContent('#signin-state');
    await page.unroute('**/v1/ledger/**');
  }
  // A token the real server refuses: the header and the banner agree that the page is not signed in.
  await page.fill('#token', 'not-a-token');
  await page.click('#signin-button');
  await page.waitForFunction(() => document.querySelector('#signin-state')?.dataset.auth === 'refused' && !document.querySelector('#message').hidden);
  result.badTokenState = await page.textContent('#signin-state');
  result.badTokenMessage = await page.textContent('#message');
  await context.close();
} catch (e) {
  console.error('audit-page.mjs: ' + (e.stack || e.message));
  console.log(JSON.stringify(result));
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log(JSON.stringify(result));
