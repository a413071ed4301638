// The browser tests' harness: a throwaway database on the test PostgreSQL, a real
// `dispatch serve` on a free loopback port, a loopback webhook receiver, and Debian's
// chromium driven by playwright-core. Everything it starts is stopped again, also when a test
// fails or the process is interrupted. Only 127.0.0.1 is ever contacted.
//
// Env: DISPATCH_BIN (the built binary; default build/dispatch), DISPATCH_TEST_ADMIN_URL (a
// libpq URL of the test cluster's `postgres` database, set by scripts/test), CHROMIUM
// (default /usr/bin/chromium), BT_HEADFUL=1 to watch the browser, BT_KEEP=1 to keep the
// temporary directory (config and server log).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const DISPATCH_BIN = process.env.DISPATCH_BIN || path.join(ROOT, 'build/dispatch');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const PROJECT = 'shop';
// The hmac preset's secret of the `orders` source (docs/configuration.md: at least 16 bytes).
export const ORDERS_SECRET = 'orders-secret-0123456789abcdef';
export const GITHUB_SECRET = 'github-secret-0123456789abcdef';
export const STRIPE_SECRET = 'whsec_stripe0123456789abcdef0123';

// Everything to undo, newest first; run by stop() and, synchronously, on exit and signals.
const cleanups = [];
function runCleanupsSync() {
  while (cleanups.length) {
    try { cleanups.pop().sync(); } catch { /* best effort */ }
  }
}
process.on('exit', runCleanupsSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { runCleanupsSync(); process.exit(128 + os.constants.signals[sig]); });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A promise that rejects when p has not settled within ms (a hung page must not hang a test).
function withTimeout(p, ms) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

// Polls fn until it returns a truthy value (returned) or timeoutMs passes (throws, naming what).
export async function until(fn, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (last instanceof Error ? `: ${last.message}` : ''));
    }
    await sleep(intervalMs);
  }
}

export function isoIn(ms) { return new Date(Date.now() + ms).toISOString(); }

export function hmacHex(secret, body) {
  return crypto.createHmac('sha256', secret).update(body).digest('hex');
}

// ------------------------------------------------------------------ database
function adminUrl() {
  const u = process.env.DISPATCH_TEST_ADMIN_URL;
  if (!u) throw new Error('DISPATCH_TEST_ADMIN_URL is not set (run scripts/test, or set it to a ' +
    'postgresql://… URL of a cluster where databases may be created)');
  return u;
}

function psql(sql) {
  const r = spawnSync('psql', [adminUrl(), '-v', 'ON_ERROR_STOP=1', '-qAtc', sql],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed (${sql}): ${r.stderr || r.error}`);
  return r.stdout.trim();
}

function createDatabase() {
  const name = 'bt_' + crypto.randomBytes(6).toString('hex');
  psql(`CREATE DATABASE ${name}`);
  const base = adminUrl();
  const url = base.replace(/\/[^/?]*(\?.*)?$/, (_, q) => `/${name}${q || ''}`);
  return { name, url, drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

// ------------------------------------------------------------------ receiver
// A webhook receiver on 127.0.0.1. status(path) decides each answer (default 200); tests
// change it with setStatus(prefix, code). Every request is recorded.
export async function startReceiver() {
  const requests = [];
  const rules = new Map();
  const waiters = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method, path: req.url, headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      requests.push(r);
      let code = 200;
      for (const [prefix, c] of rules) if (req.url.startsWith(prefix)) code = c;
      const body = code < 300 ? '{"received":true}' : '{"error":"receiver is down"}';
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(body);
      for (const w of waiters) w();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;
  return {
    port,
    requests,
    url: (p = '/') => `http://127.0.0.1:${port}${p}`,
    setStatus(prefix, code) { rules.set(prefix, code); },
    count: (prefix = '/') => requests.filter((r) => r.path.startsWith(prefix)).length,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

// ------------------------------------------------------------------ config
function configYaml({ dbUrl, adminToken, receiver, signingSecret }) {
  const r = (p) => receiver.url(p);
  return `# written by tests/browser/harness.mjs
server:
  listen: 127.0.0.1:0
  shutdown_grace: 2s
database:
  url: ${dbUrl}
  pool: 4
admin:
  token: "${adminToken}"
delivery:
  allow_http: true
  allow_private_networks: true
  timeout: 5s
jobs:
  timeout: 5s
  retry: { max_attempts: 2, schedule: [300ms] }
projects:
  - name: ${PROJECT}
    signing_secret: ${signingSecret}
    sources:
      - slug: orders
        verify: { preset: hmac, secret: "${ORDERS_SECRET}" }
        event_type: { path: type }
      - slug: github
        verify: { preset: github, secret: "${GITHUB_SECRET}" }
      - slug: stripe
        verify: { preset: stripe, secret: "${STRIPE_SECRET}" }
    destinations:
      - name: app
        type: webhook
        url: ${r('/app')}
        retry: { max_attempts: 2, backoff: fixed, initial: 200ms, jitter: false }
        circuit_breaker: off
      - name: billing
        type: webhook
        url: ${r('/billing')}
        events: ["invoice.*", "order.*"]
        retry: { max_attempts: 2, backoff: fixed, initial: 200ms, jitter: false }
        circuit_breaker: off
      - name: ops-chat
        type: slack
        url: ${r('/slack')}
        template: "{{source}} sent {{type}}"
        circuit_breaker: off
    links:
      - source: orders
        destination: app
      - source: orders
        destination: billing
        lua: |
          -- billing wants the order with a flag, and drops what is not JSON
          function transform(event)
            if type(event.body) ~= "table" then return nil end
            event.body.enriched = true
            event.headers_out = { ["X-Enriched"] = "yes" }
            log("enriched " .. tostring(event.body.id))
            return event
          end
      - source: github
        destination: ops-chat
        events: [issues, push]
      - source: stripe
        destination: billing
  - name: lab
    signing_secret: ${signingSecret}
    sources:
      - slug: lab-hooks
        allow_unsigned: true
    destinations:
      - name: sink
        type: webhook
        url: ${r('/sink')}
        circuit_breaker: off
    links:
      - source: lab-hooks
        destination: sink
`;
}

// ------------------------------------------------------------------ the server
async function startServer({ configPath, logPath, env }) {
  const logFd = fs.openSync(logPath, 'a');
  const childEnv = { ...process.env, ...env };
  delete childEnv.DATABASE_URL;          // it would override the config's database.url
  delete childEnv.DISPATCH_MASTER_KEYS;
  // Through a small sh that forwards SIGTERM to the server and stops it, too, when its stdin (a
  // pipe from this process) closes: so a harness killed with SIGKILL (a ctest timeout) leaves
  // no server behind.
  const guard = `exec 3<&0
"$@" </dev/null &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' TERM INT
(read -r _ <&3; kill -TERM $pid 2>/dev/null) &
w=$!
while :; do wait $pid; rc=$?; kill -0 $pid 2>/dev/null || break; done
kill $w 2>/dev/null
exit $rc`;
  const child = spawn('/bin/sh', ['-c', guard, 'sh', DISPATCH_BIN, 'serve', '--config', configPath],
    { stdio: ['pipe', logFd, logFd], env: childEnv });
  fs.closeSync(logFd);
  let exit = null;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    exit = { code, signal };
    resolve(exit);
  }));
  child.on('error', (e) => { exit = { code: 127, signal: null, error: e }; });
  const readLog = () => { try { return fs.readFileSync(logPath, 'utf8'); } catch { return ''; } };
  let port = 0;
  try {
    await until(() => {
      if (exit) throw new Error(`dispatch serve exited (${JSON.stringify(exit)}):\n${readLog()}`);
      const m = readLog().match(/"msg":"listening".*?"port":(\d+)/);
      if (m) port = Number(m[1]);
      return port > 0;
    }, { timeoutMs: 20000, intervalMs: 25, what: 'dispatch serve to listen' });
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  const base = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${base}/readyz`)).status === 200,
    { timeoutMs: 10000, what: '/readyz' });
  return {
    base, port, child, readLog,
    exitInfo: () => exit,
    killSync() { if (!exit) child.kill('SIGTERM'); },
    async stop() {
      if (exit) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

// ------------------------------------------------------------------ API client
export function apiClient(base) {
  return async function api(method, p, { token, body, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
        h['Content-Type'] = 'application/json';
      }
    }
    const res = await fetch(base + p, { method, headers: h, body: payload, redirect: 'manual' });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, text, json, data: json?.data,
      message: json?.message };
  };
}

// ------------------------------------------------------------------ the whole stack
// Starts database, receiver, server and browser. Returns helpers; call stop() in after().
export async function startStack({ browser: wantBrowser = true } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dispatch-bt-'));
  const stack = { dir };
  const undo = [];
  const pushCleanup = (name, sync, async_) => {
    const entry = { name, sync, async: async_ || (async () => sync()) };
    cleanups.push(entry);
    undo.push(entry);
  };
  pushCleanup('tmpdir', () => {
    if (process.env.BT_KEEP) return;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // The browser starts while the database and the server do.
  const launching = wantBrowser ? chromium.launch({
    executablePath: CHROMIUM,
    headless: !process.env.BT_HEADFUL,
    args: process.env.BT_HEADFUL ? CHROMIUM_ARGS.filter((a) => a !== '--headless')
      : CHROMIUM_ARGS,
  }) : null;
  launching?.catch(() => {}); // awaited below; a failure must not be an unhandled rejection
  // playwright-core kills its browser when the process exits; close() is the clean way.
  pushCleanup('browser', () => { /* playwright's exit handler */ },
    async () => { if (launching) await (await launching.catch(() => null))?.close(); });
  try {
    const db = createDatabase();
    pushCleanup('database', () => db.drop());
    stack.db = db;

    const receiver = await startReceiver();
    pushCleanup('receiver', () => { /* the process exit closes it */ }, () => receiver.close());
    stack.receiver = receiver;

    stack.adminToken = 'adm_' + crypto.randomBytes(16).toString('hex');
    const signingSecret = 'whsec_' + crypto.randomBytes(32).toString('base64');
    stack.configPath = path.join(dir, 'dispatch.yaml');
    stack.logPath = path.join(dir, 'serve.log');
    fs.writeFileSync(stack.configPath, configYaml({ dbUrl: db.url, adminToken: stack.adminToken,
      receiver, signingSecret }));

    const server = await startServer({ configPath: stack.configPath, logPath: stack.logPath });
    pushCleanup('server', () => server.killSync(), async () => {
      const r = await server.stop();
      stack.serverExit = r;
      stack.lastLog = server.readLog();
    });
    stack.server = server;
    stack.base = server.base;
    stack.api = apiClient(server.base);

    const k = await stack.api('POST', `/api/v1/projects/${PROJECT}/keys`,
      { token: stack.adminToken, body: { label: 'browser tests' } });
    if (k.status !== 201) throw new Error(`key creation failed: ${k.status} ${k.text}`);
    stack.key = k.data.key;
    stack.keyId = k.data.id;

    if (launching) stack.browser = await launching;
  } catch (e) {
    await runUndo(undo);
    throw e;
  }

  // Helpers bound to this stack.
  stack.keyApi = (method, p, opts = {}) => stack.api(method, p, { token: stack.key, ...opts });
  stack.adminApi = (method, p, opts = {}) =>
    stack.api(method, p, { token: stack.adminToken, ...opts });
  stack.newPage = (opts) => newPage(stack, opts);
  stack.signIn = (page, token) => signIn(stack, page, token);
  stack.scheduleJob = async (fields = {}) => {
    const r = await stack.keyApi('POST', '/api/v1/jobs', { body: {
      title: 'browser test job', webhookUrl: stack.receiver.url('/job'), fireAt: isoIn(3600_000),
      payload: { from: 'browser tests' }, ...fields } });
    if (r.status !== 201) throw new Error(`job creation failed: ${r.status} ${r.text}`);
    return r.data;
  };
  // Posts a body to a source, by default the hmac source `orders` with its signature
  // (docs/configuration.md: `X-Dispatch-Signature: sha256=<hex HMAC-SHA256 of the body>`);
  // sign(text) → headers signs for another preset.
  stack.postEvent = async (body, { slug = 'orders', headers = {}, sign } = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const signature = sign ? sign(text)
      : { 'X-Dispatch-Signature': 'sha256=' + hmacHex(ORDERS_SECRET, text) };
    // node:http rather than fetch: a sender's headers, without a browser-like fetch's own.
    const res = await new Promise((resolve, reject) => {
      const req = http.request(`${stack.base}/hooks/${slug}`, { method: 'POST', headers: {
        'Content-Type': 'application/json', 'User-Agent': 'dispatch-browser-tests',
        'Content-Length': Buffer.byteLength(text), ...signature, ...headers } }, (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(text);
    });
    if (res.status !== 202) throw new Error(`event refused: ${res.status} ${res.text}`);
    return JSON.parse(res.text).data.event_id;
  };
  stack.stop = async () => {
    await runUndo(undo);
    const exit = stack.serverExit;
    if (exit && exit.code !== 0) {
      throw new Error(`dispatch serve did not exit cleanly (${JSON.stringify(exit)});` +
        ` its log:\n${tail(stack.lastLog ?? '', 4000)}`);
    }
  };
  return stack;
}

function tail(s, n) { return s.length > n ? '…' + s.slice(-n) : s; }

async function runUndo(undo) {
  let first;
  while (undo.length) {
    const entry = undo.pop();
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
    try { await entry.async(); } catch (e) { first ??= e; }
  }
  if (first) throw first;
}

// ------------------------------------------------------------------ pages
// A page in a fresh browser context (own sessionStorage, cookies, cache). It records every
// request URL, console errors, page errors, CSP violations and dialogs, and accepts
// window.confirm() unless told otherwise (page.bt.dialogAnswer = false).
async function newPage(stack, { viewport = { width: 1280, height: 860 }, ...ctxOpts } = {}) {
  const context = await stack.browser.newContext({ viewport, ...ctxOpts });
  const page = await context.newPage();
  const bt = { requests: [], consoleErrors: [], pageErrors: [], dialogs: [], dialogAnswer: true };
  page.bt = bt;
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('request', (req) => bt.requests.push(req.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') bt.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => bt.pageErrors.push(String(err)));
  page.on('dialog', async (d) => {
    bt.dialogs.push({ type: d.type(), message: d.message() });
    if (bt.dialogAnswer) await d.accept(); else await d.dismiss();
  });
  page.setDefaultTimeout(8000);
  // What the page has complained about so far (console errors, exceptions, CSP violations).
  bt.problems = async () => {
    let csp = [];
    try {
      csp = await withTimeout(page.evaluate(() => window.__cspViolations || []), 2000);
    } catch (e) {
      csp = [`(could not read the page's CSP violations: ${e.message})`];
    }
    return [...bt.consoleErrors, ...bt.pageErrors, ...csp.map((v) => `CSP violation: ${v}`)];
  };
  bt.close = () => context.close();
  return page;
}

// Signs in through the sign-in form and waits for the navigation bar.
async function signIn(stack, page, token) {
  await page.goto(`${stack.base}/ui/`);
  const form = page.locator('form#signin');
  await form.locator('input[name="token"]').fill(token);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('nav').waitFor();
  await page.locator('#signout').waitFor();
}

// The job's (or delivery's) own status lamp on a detail page: not one inside the attempt log.
export const MAIN_LAMP = '.lamp[data-status]:not(table.attempts .lamp):not(table.deliveries .lamp)';

// The routes of the contract, for walking every page.
export const ROUTES = ['#/jobs', '#/schedules', '#/events', '#/deliveries', '#/destinations',
  '#/sources', '#/transforms'];

// Navigates a signed-in page to a route of the contract (a hash change, as a link does).
export async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

// Wraps a test body: a fresh page (new browser context) for it, closed afterwards; the test
// also fails when the page logged a console error, threw, or violated the CSP (allow: regexps
// of expected console errors). On failure the error names the page's route and its text.
export function pageTest(getStack, fn, { allow = [], viewport } = {}) {
  return async () => {
    const s = getStack();
    const page = await s.newPage(viewport ? { viewport } : {});
    try {
      try {
        await fn(page, s);
      } catch (e) {
        let where = '';
        try {
          const info = await withTimeout(page.evaluate(() => ({ url: location.href,
            text: document.body ? document.body.innerText : '' })), 2000);
          where = `\n  page: ${info.url.replace(/^https?:\/\/[^/]+/, '')}\n  text: ` +
            tail(info.text.replace(/\s+/g, ' '), 1500);
        } catch { /* page gone */ }
        if (where) {
          if (typeof e.stack === 'string') e.stack = e.stack.replace(e.message, e.message + where);
          e.message += where;
        }
        throw e;
      }
      const problems = (await page.bt.problems()).filter((p) => !allow.some((re) => re.test(p)));
      if (problems.length) {
        throw new Error(`the page reported problems:\n  ${problems.join('\n  ')}`);
      }
    } finally {
      await page.bt.close();
    }
  };
}

// The text of an element, whitespace collapsed.
export async function text(locator) {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

// Picks a project in the admin's #project picker (its options may be valued by name or id).
export async function pickProject(page, name) {
  const select = page.locator('select#project');
  await select.waitFor();
  const value = await select.evaluate((el, n) => {
    const o = [...el.options].find((x) => x.value === n || x.textContent.trim() === n);
    return o ? o.value : null;
  }, name);
  if (value === null) throw new Error(`project ${name} is not in the picker`);
  await select.selectOption(value);
}
