// Reads the auditors' page's "Checksum database conflicts" section in Debian's headless Chromium (playwright-core).
// Run by SumDbAuditPageTests: node audit-conflicts.mjs, configured through the environment:
//   AUDIT_URL    the server's base URL (http://127.0.0.1:PORT/)
//   CHROMIUM     the chromium executable
//   AUDIT_TOKEN  an access token with scope audit
// Prints one JSON object on stdout: the conflict rows as the page shows them, its state line and console errors.
import { chromium } from 'playwright-core';

const env = process.env;
for (const name of ['AUDIT_URL', 'CHROMIUM', 'AUDIT_TOKEN']) {
  if (!env[name]) { console.error(`audit-conflicts.mjs: ${name} is not set`); process.exit(2); }
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
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 401 /.test(m.text())) result.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => result.consoleErrors.push(e.message));
  await page.goto(new URL('audit/', env.AUDIT_URL).href);
  await page.fill('#token', env.AUDIT_TOKEN);
  await page.click('#signin-button');
  await page.waitForFunction(() => (document.querySelector('#conflicts-state')?.textContent ?? '').length > 0);
  result.state = await page.textContent('#conflicts-state');
  result.rows = await page.$$eval('#conflicts tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  result.headers = await page.$$eval('#conflicts thead th', (cells) => cells.map((c) => c.textContent));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
