// Every page: security headers, no console errors or CSP violations, readable at 375 px.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTES, go, isoIn, pageTest, startStack, until } from './harness.mjs';

let s;
let ids;
before(async () => {
  s = await startStack();
  // Something on every page: a finished and a scheduled job, events and their deliveries.
  const done = await s.scheduleJob({ title: 'fired', fireAt: isoIn(200) });
  await s.scheduleJob({ title: 'later' });
  const eventId = await s.postEvent({ type: 'order.created', id: 'ord_pages', amount: 5 });
  const ev = await until(async () => {
    const e = (await s.keyApi('GET', `/api/v1/events/${eventId}`)).data;
    return e.deliveries.length > 0 && e;
  }, { what: 'the event\'s deliveries' });
  await until(async () => (await s.keyApi('GET', `/api/v1/jobs/${done.id}`)).data.status ===
    'SUCCESS', { what: 'the job to fire' });
  ids = { job: done.id, event: eventId, delivery: ev.deliveries[0].id };
});
after(async () => { await s?.stop(); });
const stack = () => s;

const CSP_DIRECTIVES = {
  'default-src': "'none'", 'script-src': "'self'", 'style-src': "'self'",
  'connect-src': "'self'", 'frame-ancestors': "'none'", 'base-uri': "'none'",
};

function checkUiHeaders(headers, what) {
  const csp = headers['content-security-policy'];
  assert.ok(csp, `${what}: a Content-Security-Policy`);
  assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), `${what}: no unsafe-*: ${csp}`);
  assert.ok(!/https?:|wss?:|\*/.test(csp), `${what}: no remote origin or wildcard: ${csp}`);
  const dirs = Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean)
    .map((d) => { const [k, ...v] = d.split(/\s+/); return [k, v.join(' ')]; }));
  for (const [k, v] of Object.entries(CSP_DIRECTIVES)) {
    assert.equal(dirs[k], v, `${what}: CSP ${k} ${v}: ${csp}`);
  }
  assert.equal(headers['x-frame-options'], 'DENY', what);
  assert.equal(headers['referrer-policy'], 'no-referrer', what);
  assert.equal(headers['x-content-type-options'], 'nosniff', what);
}

// Where each route gets its data (to know the page has loaded it).
const ROUTE_API = { '#/jobs': '/api/v1/jobs', '#/schedules': '/api/v1/schedules',
  '#/events': '/api/v1/events', '#/deliveries': '/api/v1/deliveries',
  '#/destinations': '/api/v1/destinations', '#/sources': '/api/v1/sources',
  '#/transforms': null, '#/keys': '/keys' };

function detailRoutes() {
  return [`#/jobs/${ids.job}`, `#/events/${ids.event}`, `#/deliveries/${ids.delivery}`];
}

// Words that show a value rendered without a check (null, undefined, NaN, [object Object]),
// outside pre, code, textarea and select (where JSON and user input may hold them).
async function strayWords(page) {
  return page.evaluate(() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement.closest('pre, code, textarea, select, script, style')) continue;
      const m = n.nodeValue.match(/\b(null|undefined|NaN)\b|\[object Object\]/);
      if (m) found.push(`"${n.nodeValue.trim().slice(0, 60)}" in <${n.parentElement.tagName.toLowerCase()}>`);
    }
    return found;
  });
}

// Opens a route and waits for its data (and a moment to render).
async function visit(page, route) {
  const api = ROUTE_API[route.replace(/^(#\/[a-z]+)\/.*$/, '$1')] ??
    (route.includes('/', 2) ? '/api/v1/' : null);
  const loaded = api ? page.waitForResponse((r) => r.url().includes(api), { timeout: 4000 })
    .catch(() => null) : null;
  await go(page, route);
  if (loaded) await loaded;
  await page.waitForFunction(() => document.body?.innerText.trim());
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
}

describe('serving', () => {
  it('sends the security headers on /ui/ and on every file the page loads', pageTest(stack,
    async (page) => {
      const r = await fetch(`${s.base}/ui/`, { redirect: 'manual' });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^text\/html/);
      checkUiHeaders(Object.fromEntries(r.headers), '/ui/');
      // /ui without the slash: the page itself, or a redirect to /ui/ (its relative URLs).
      const bare = await fetch(`${s.base}/ui`, { redirect: 'manual' });
      if (bare.status === 200) checkUiHeaders(Object.fromEntries(bare.headers), '/ui');
      else assert.equal(new URL(bare.headers.get('location'), s.base).pathname, '/ui/');
      const files = [];
      page.on('response', async (res) => {
        if (new URL(res.url()).pathname.startsWith('/ui')) {
          files.push({ url: res.url(), headers: await res.allHeaders(), status: res.status() });
        }
      });
      await page.goto(`${s.base}/ui/`);
      await page.locator('form#signin').waitFor();
      await page.waitForLoadState('load');
      assert.ok(files.length >= 2, `the page loads its files: ${files.map((f) => f.url)}`);
      for (const f of files) {
        assert.ok(f.status === 200 || f.status === 304, `${f.url}: ${f.status}`);
        checkUiHeaders(f.headers, f.url);
      }
      const origins = new Set(page.bt.requests.map((u) => new URL(u).origin));
      assert.deepEqual([...origins], [s.base], 'nothing fetched from elsewhere');
    }));

  it('redirects / to /ui/, and an unknown UI file is 404', async () => {
    const r = await fetch(`${s.base}/`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    assert.equal(new URL(r.headers.get('location'), s.base).pathname, '/ui/');
    assert.equal((await fetch(`${s.base}/ui/no-such-file.js`)).status, 404);
  });
});

describe('every page', () => {
  // Every route, signed in as each: no console error, no CSP violation, and no value shown
  // as null/undefined/NaN/[object Object].
  for (const [who, admin] of [['a key', false], ['the admin', true]]) {
    it(`logs no console error, no CSP violation and no stray null, signed in as ${who}`,
      pageTest(stack, async (page) => {
        await s.signIn(page, admin ? s.adminToken : s.key);
        const stray = [];
        for (const r of [...ROUTES, ...(admin ? ['#/keys'] : []), ...detailRoutes()]) {
          await visit(page, r);
          for (const w of await strayWords(page)) stray.push(`${r}: ${w}`);
        }
        assert.deepEqual(stray, [], 'values rendered without a check');
      }));
  }

  it('has no horizontal page scroll 375 px wide', pageTest(stack, async (page) => {
    const overflow = () => page.evaluate(() => {
      const d = document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });
    await page.goto(`${s.base}/ui/`);
    await page.locator('form#signin').waitFor();
    const wide = [];
    if (await overflow() > 0) wide.push(`sign-in: ${await overflow()} px`);
    await s.signIn(page, s.adminToken);
    for (const r of [...ROUTES, '#/keys', ...detailRoutes()]) {
      await visit(page, r);
      const o = await overflow();
      if (o > 0) wide.push(`${r}: ${o} px too wide`);
    }
    assert.deepEqual(wide, [], 'pages wider than the screen');
  }, { viewport: { width: 375, height: 740 } }));
});

describe('sources and transforms', () => {
  it('shows each source\'s full URL and copies it', pageTest(stack, async (page) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'],
      { origin: s.base });
    await s.signIn(page, s.key);
    await go(page, '#/sources');
    for (const slug of ['orders', 'github', 'stripe']) {
      const row = page.locator(`table tr[data-id="${slug}"]`);
      await row.waitFor();
      assert.ok((await row.innerText()).includes(`${s.base}/hooks/${slug}`), `${slug}'s URL`);
    }
    assert.equal(await page.locator('table tr[data-id="lab-hooks"]').count(), 0,
      'another project\'s source is not shown');
    await page.locator('table tr[data-id="stripe"]')
      .getByRole('button', { name: 'Copy URL', exact: true }).click();
    await page.locator('#flash', { hasText: 'copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()),
      `${s.base}/hooks/stripe`);
  }));

  it('runs a link\'s transform in the playground', pageTest(stack, async (page) => {
    await s.signIn(page, s.key);
    await go(page, '#/transforms');
    const from = page.getByLabel('Start from');
    await until(async () => (await from.locator('option').count()) > 1,
      { what: 'the links\' transforms in the picker' });
    await from.selectOption({ index: 1 });
    await page.waitForFunction(() => document.querySelector('textarea[name="lua"]')?.value
      .includes('enriched'));
    await page.getByLabel('Body', { exact: false }).last().fill('{"type":"order.paid","id":7}');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const result = page.locator('main');
    await page.getByText('deliver', { exact: true }).first().waitFor();
    const shown = await result.innerText();
    assert.ok(/"?enriched"?\s*:\s*true/.test(shown), `the delivered body: ${shown}`);
    assert.ok(shown.includes('X-Enriched'), 'the transform\'s headers');

    // A script that does not compile: the error names its line.
    await page.locator('textarea[name="lua"]').fill('function transform(e)\n  return e +\nend\n');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText(/:3:/).first().waitFor();
  }));
});
