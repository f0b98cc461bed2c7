// Drives Debian's Chromium (never a downloaded browser) over the web monitor of a running broker and checks what
// a user would see. Run by tests/Starling.Interop.Tests/Monitor/MonitorBrowserTests.cs, which starts the broker
// and the MQTT traffic; this script only looks.
//
//   node monitor-check.mjs <monitor URL> <screenshot folder> [options]
//     --topic T            a topic that receives JSON messages (default monitor/test/temp)
//     --payload-key K      a key its JSON payload has (default temp)
//     --kick C             a connected client to kick from the Clients view (default: none)
//     --retained T         a retained topic the Retained view must list
//     --delete-retained T  a retained topic to delete from the Retained view
//     --auth-url U         a second monitor that requires authentication...
//     --api-key K          ...and a key it accepts
//
// Prints one JSON line { ok, checks: [{ name, ok, detail }], screenshots, error? } and exits 1 unless all pass.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [baseArg, outDir, ...rest] = process.argv.slice(2);
if (!baseArg || !outDir) {
  console.error('usage: node monitor-check.mjs <monitor URL> <screenshot folder> [--topic T] [--kick C] [--auth-url U --api-key K] ...');
  process.exit(2);
}
const options = { topic: 'monitor/test/temp', 'payload-key': 'temp' };
for (let i = 0; i < rest.length; i += 2) {
  if (!rest[i].startsWith('--') || rest[i + 1] === undefined) {
    console.error(`bad option ${rest[i]}`);
    process.exit(2);
  }
  options[rest[i].slice(2)] = rest[i + 1];
}
const base = baseArg.endsWith('/') ? baseArg : `${baseArg}/`;
const WAIT = 15000;

const checks = [];
const screenshots = [];
const pageErrors = [];

function check(name, ok, detail = '') {
  checks.push({ name, ok: Boolean(ok), detail: String(detail) });
  if (!ok) throw new Error(`${name} failed: ${detail}`);
}

/** Waits until fn() (run in the test, polling) returns a truthy value; returns it, or throws naming `what`. */
async function until(what, fn, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function shot(page, name) {
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  screenshots.push(file);
}

function watchErrors(page, label) {
  page.on('pageerror', (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on('console', (m) => {
    // A refused request logs "Failed to load resource" by itself; those the banner reports, and the checks test.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`${label} console: ${m.text()}`);
  });
}

async function goView(page, name) {
  await page.getByTestId(`nav-${name}`).click();
  await page.getByTestId(`view-${name}`).waitFor({ state: 'visible', timeout: WAIT });
}

async function overview(page) {
  await page.goto(`${base}#overview`);
  await page.getByTestId('view-overview').waitFor({ state: 'visible', timeout: WAIT });
  const text = await until('a non-zero received rate', async () => {
    const t = (await page.getByTestId('rate-received').textContent()).trim();
    const m = /^(\d+(?:\.\d+)?) msg\/s$/.exec(t);
    return m && Number(m[1]) > 0 ? t : null;
  });
  check('overview shows a non-zero received rate', true, text);
  const version = await until('the broker totals', async () => (await page.getByTestId('card-version').textContent()).replace('Version', '').trim());
  check('overview shows the broker totals', version && version !== '–', version);
  // A few more seconds of the stream, so the screenshot's charts show lines rather than a dot.
  await page.waitForTimeout(4000);
  const drawn = await page.evaluate(() => {
    const c = document.getElementById('chart-messages');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0) coloured++;
    return coloured;
  });
  check('overview draws the message chart', drawn > 100, `${drawn} pixels drawn`);
  await shot(page, 'overview');
}

async function topicTree(page) {
  await goView(page, 'topics');
  const levels = options.topic.split('/');
  for (let i = 1; i <= levels.length; i++) {
    const node = page.getByTestId(`topic-${levels.slice(0, i).join('/')}`);
    await node.waitFor({ state: 'visible', timeout: WAIT });
    await node.click();
  }
  check('topic tree shows the topic', true, options.topic);
  const key = options['payload-key'];
  const body = page.getByTestId('payload-body');
  const json = await until(`the payload of ${options.topic} as JSON`, async () => {
    const t = await body.textContent();
    return t.includes(`"${key}"`) && t.includes('\n  ') ? t : null;
  });
  check('payload panel pretty-prints the JSON payload', JSON.parse(json)[key] !== undefined, json.split('\n').join(' '));
  await page.getByTestId('payload-hex').click();
  const hex = await until('the hex view', async () => {
    const t = await body.textContent();
    return /^00000000 {2}7b /.test(t) ? t : null; // 7b: the payload's "{"
  });
  check('payload panel shows hex', true, hex.split('\n')[0]);
  await page.getByTestId('payload-text').click();
  const text = await until('the text view', async () => {
    const t = await body.textContent();
    return t.startsWith('{') && !t.includes('\n') ? t : null;
  });
  check('payload panel shows text', true, text);
  await page.getByTestId('payload-json').click();
  await until('the JSON view again', async () => (await body.textContent()).includes('\n  '));
  // The tree polls: the topic's row comes to show its count and rate (the broker rates each topic per second).
  const row = page.getByTestId(`topic-${options.topic}`);
  const [messages, rate] = await until(`a message rate on ${options.topic}`, async () => {
    const cells = await row.locator('.num').allTextContents();
    const [m, r] = cells.map((c) => Number(c.replace(/,/g, '')));
    return m > 0 && r > 0 ? [m, r] : null;
  });
  check('topic tree shows the message count and rate', true, `${messages} messages, ${rate} msg/s`);
  await shot(page, 'topics');
}

async function subscriptionsView(page) {
  await goView(page, 'subscriptions');
  const rows = page.locator('#subscriptions-rows tr:not(.empty)');
  const n = await until('a subscription row', async () => rows.count());
  check('subscriptions view lists subscriptions', n > 0, `${n} rows`);
  await shot(page, 'subscriptions');
}

async function retainedView(page) {
  await goView(page, 'retained');
  if (options.retained) {
    await page.getByTestId(`retained-${options.retained}`).waitFor({ state: 'visible', timeout: WAIT });
    check('retained view lists the retained message', true, options.retained);
  }
  await shot(page, 'retained');
  if (options['delete-retained']) {
    const topic = options['delete-retained'];
    await page.getByTestId(`retained-${topic}`).waitFor({ state: 'visible', timeout: WAIT });
    const response = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/v1/retained/'), { timeout: WAIT });
    await page.getByTestId(`delete-retained-${topic}`).click();
    const status = (await response).status();
    await page.getByTestId(`retained-${topic}`).waitFor({ state: 'detached', timeout: WAIT });
    check('retained view deletes a retained message', status === 204, `DELETE answered ${status}`);
  }
}

async function clientsView(page) {
  await goView(page, 'clients');
  const client = options.kick;
  if (client) {
    await page.getByTestId(`client-${client}`).waitFor({ state: 'visible', timeout: WAIT });
    check('clients view lists the client', true, client);
  }
  await shot(page, 'clients');
  // search narrows the table to matching clients
  await page.getByTestId('clients-search').fill('no-such-client-anywhere');
  await page.locator('#clients-rows tr.empty').waitFor({ state: 'visible', timeout: WAIT });
  await page.getByTestId('clients-search').fill(client ?? '');
  if (client) await page.getByTestId(`client-${client}`).waitFor({ state: 'visible', timeout: WAIT });
  await page.getByTestId('clients-search').fill('');
  await page.locator('#clients-rows tr:not(.empty)').first().waitFor({ state: 'visible', timeout: WAIT });
  check('clients search filters the table', true);
  if (client) {
    const response = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/v1/clients/'), { timeout: WAIT });
    await page.getByTestId(`kick-${client}`).click();
    const status = (await response).status();
    check('kick answers 204', status === 204, `DELETE answered ${status}`);
    await page.getByTestId(`client-${client}`).waitFor({ state: 'detached', timeout: WAIT });
    check('kicked client leaves the clients view', true, client);
  }
}

async function traceView(page) {
  await goView(page, 'trace');
  const filter = `${options.topic.split('/')[0]}/#`;
  await page.getByTestId('trace-mode').selectOption('filter');
  await page.getByTestId('trace-value').fill(filter);
  await page.getByTestId('trace-start').click();
  const rows = page.locator('[data-testid="trace-rows"] tr');
  await until('traced packets', async () => (await rows.count()) >= 3);
  const first = await rows.first().textContent();
  check('trace shows PUBLISH packets of the filter', first.includes('PUBLISH') && first.includes(options.topic), first);
  await shot(page, 'trace');
  // The traffic outruns the table's 500 rows within seconds; only the newest stay.
  const received = await until('more than 500 traced packets', async () => {
    const n = Number((await page.getByTestId('trace-status').textContent()).replace(/^.*: /, '').replace(/\D/g, ''));
    return n > 520 ? n : 0;
  }, 30000);
  const n = await rows.count();
  check('trace keeps the newest 500 rows', n === 500, `${n} rows after ${received} packets`);
  await page.getByTestId('trace-stop').click();
  await until('the trace to stop', async () => (await page.getByTestId('trace-status').textContent()).startsWith('Stopped'));
}

async function authentication() {
  const url = options['auth-url'].endsWith('/') ? options['auth-url'] : `${options['auth-url']}/`;
  // The broker answers 401 with WWW-Authenticate: Basic, on which a browser asks the user for a password. This
  // context plays a user who gives a wrong one: Playwright answers the first challenge with these credentials
  // and cancels the second, so the page gets its 401 (without credentials the headless prompt would wait forever).
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    httpCredentials: { username: 'nobody', password: 'wrong', origin: new URL(url).origin },
  });
  const page = await context.newPage();
  watchErrors(page, 'auth');
  await page.goto(`${url}#overview`);
  const banner = page.getByTestId('error-banner');
  await banner.waitFor({ state: 'visible', timeout: WAIT });
  const text = await until('401 in the banner', async () => {
    const t = await page.locator('#banner-messages').textContent();
    return t.includes('401') ? t : null;
  });
  check('page without credentials shows the 401 banner', true, text.trim());
  await shot(page, 'auth-refused');
  const key = options['api-key'];
  const statuses = await page.evaluate(async (k) => ({
    none: (await fetch('api/v1/broker')).status,
    wrong: (await fetch('api/v1/broker', { headers: { 'X-Api-Key': `${k}-wrong` } })).status,
    key: (await fetch('api/v1/broker', { headers: { 'X-Api-Key': k } })).status,
    bearer: (await fetch('api/v1/broker', { headers: { Authorization: `Bearer ${k}` } })).status,
  }), key);
  check('API without credentials answers 401', statuses.none === 401, statuses.none);
  check('API with a wrong key answers 401', statuses.wrong === 401, statuses.wrong);
  check('API with X-Api-Key answers 200', statuses.key === 200, statuses.key);
  check('API with a bearer key answers 200', statuses.bearer === 200, statuses.bearer);
  // The key typed into the banner is used for requests and for the stream (read by fetch: EventSource cannot
  // send headers).
  await page.getByTestId('api-key').fill(key);
  await page.getByTestId('api-key-submit').click();
  await banner.waitFor({ state: 'hidden', timeout: WAIT });
  const version = await until('the broker totals with the key', async () => (await page.getByTestId('card-version').textContent()).replace('Version', '').trim());
  const rate = await until('a stats event with the key', async () => {
    const t = (await page.getByTestId('rate-received').textContent()).trim();
    return /msg\/s$/.test(t) ? t : null;
  });
  check('page with the key loads the API and the stream', true, `${version}, ${rate}`);
  await context.close();
}

let browser;
let page;
let error = null;
try {
  fs.mkdirSync(outDir, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  watchErrors(page, 'monitor');
  await overview(page);
  await topicTree(page);
  await subscriptionsView(page);
  await retainedView(page);
  await traceView(page);
  await clientsView(page); // last: kicking changes what the other views show
  if (options['auth-url']) await authentication();
  check('no script errors in the page', pageErrors.length === 0, pageErrors.join(' | '));
} catch (e) {
  error = e.message;
  if (page) await page.screenshot({ path: path.join(outDir, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser?.close().catch(() => {});
}

const ok = error === null && checks.every((c) => c.ok);
console.log(JSON.stringify({ ok, checks, screenshots, pageErrors, ...(error ? { error } : {}) }));
process.exit(ok ? 0 : 1);
