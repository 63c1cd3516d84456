// Drives the auditors' page in Debian's headless Chromium (playwright-core) against a log that a witness cosigns.
// Run by WitnessServerTests, configured through the environment:
//   AUDIT_URL, CHROMIUM, AUDIT_TOKEN   as for audit-page.mjs
//   VERIFY_INDEX                       an entry covered by the witnessed checkpoint
//   WITNESS_KEY                        the witness's cosignature verifier key; WRONG_WITNESS_KEY another one
// Prints one JSON object of observations on stdout; exits 1 with a message on errors.
import { chromium } from 'playwright-core';

const env = process.env;
for (const name of ['AUDIT_URL', 'CHROMIUM', 'AUDIT_TOKEN', 'VERIFY_INDEX', 'WITNESS_KEY', 'WRONG_WITNESS_KEY']) {
  if (!env[name]) { console.error(`audit-witness.mjs: ${name} is not set`); process.exit(2); }
}
const browser = await chromium.launch({
  executablePath: env.CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const result = { consoleErrors: [] };
try {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(20000);
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[134] /.test(m.text())) result.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => result.consoleErrors.push(e.message));
  await page.goto(new URL('audit/', env.AUDIT_URL).href);
  await page.fill('#token', env.AUDIT_TOKEN);
  await page.click('#signin-button');
  await page.waitForSelector(`#entries tbody tr[data-index="${env.VERIFY_INDEX}"]`);
  result.witnessed = await page.textContent('#cp-witnessed');

  const row = page.locator(`#entries tbody tr[data-index="${env.VERIFY_INDEX}"]`);
  const verify = async () => {
    await row.locator('button.verify').click();
    const cell = row.locator('.proof-result');
    await page.waitForFunction((el) => el.textContent && el.textContent !== 'verifying…', await cell.elementHandle());
    return cell.textContent();
  };
  const require = async (keys, required) => {
    await page.fill('#witness-keys', keys);
    await page.fill('#witnesses-required', required);
    await page.dispatchEvent('#witness-keys', 'change');
    return page.textContent('#witness-state');
  };

  result.policyState = await require(env.WITNESS_KEY, '');
  result.withWitness = await verify();
  result.wrongWitnessState = await require(env.WRONG_WITNESS_KEY, '1');
  result.wrongWitness = await verify();
  result.bothState = await require(env.WITNESS_KEY + '\n' + env.WRONG_WITNESS_KEY, '2');
  result.twoRequired = await verify();

  // The witness's cosignature changed in transit: it no longer counts.
  await require(env.WITNESS_KEY, '1');
  const proofs = '**/v1/ledger/proofs/inclusion*';
  await page.route(proofs, async (route) => {
    const original = await route.fetch();
    const json = await original.json();
    const lines = json.checkpoint.split('\n');
    const name = env.WITNESS_KEY.split('+')[0];
    const at = lines.findIndex((l) => l.startsWith('\u2014 ' + name + ' '));
    const [dash, who, blob] = lines[at].split(' ');
    const bytes = Buffer.from(blob, 'base64');
    bytes[bytes.length - 1] ^= 0x01;
    lines[at] = [dash, who, bytes.toString('base64')].join(' ');
    json.checkpoint = lines.join('\n');
    await route.fulfill({ response: original, json });
  });
  result.tamperedCosignature = await verify();
  await page.unroute(proofs);
  result.verifiedAgain = await verify();
  result.unusableState = await require('not-a-key', '');
} catch (e) {
  console.error('audit-witness.mjs: ' + (e.stack || e.message));
  console.log(JSON.stringify(result));
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log(JSON.stringify(result));
