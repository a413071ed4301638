// Signing in and out, where the token lives (dashboard contract: "Signing in"), and the
// admin's keys page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROJECT, ROUTES, go, pageTest, pickProject, startStack, text, until }
  from './harness.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });
const stack = () => s;

const NAV = ['Jobs', 'Schedules', 'Events', 'Deliveries', 'Destinations', 'Sources', 'Transforms'];

async function navTexts(page) {
  return (await page.locator('nav a').allTextContents()).map((t) => t.trim());
}

describe('sign-in', () => {
  it('refuses a wrong token with the API\'s message, on the same screen', pageTest(stack,
    async (page) => {
      await page.goto(`${s.base}/ui/`);
      const form = page.locator('form#signin');
      await form.waitFor();
      assert.equal(await form.locator('input').count(), 1, 'the form has exactly one input');
      const input = form.locator('input[name="token"]');
      assert.equal(await input.getAttribute('type'), 'password');
      for (const wrong of ['sk_' + '0'.repeat(64), 'not-the-admin-token']) {
        const expected = (await s.api('GET', '/api/v1/me', { token: wrong })).message;
        assert.ok(expected, 'the API answers a wrong token with a message');
        await input.fill(wrong);
        await form.getByRole('button', { name: 'Sign in' }).click();
        const err = page.locator('#signin-error');
        await page.locator('#signin-error', { hasText: expected }).waitFor();
        assert.equal(await err.getAttribute('role'), 'alert');
        assert.equal(await text(err), expected);
        assert.ok(await form.isVisible(), 'the sign-in form stays');
        assert.equal(await page.locator('#signout').count(), 0, 'not signed in');
        assert.equal(await page.evaluate(() => sessionStorage.getItem('dispatch.token')), null);
        await input.fill('');
      }
    }, { allow: [/status of 401/] }));

  it('signs in with a project key: the nav without Keys, #/jobs by default', pageTest(stack,
    async (page) => {
      await s.signIn(page, s.key);
      assert.equal(await page.evaluate(() => location.hash), '#/jobs');
      assert.deepEqual(await navTexts(page), NAV);
      assert.equal(await page.locator('select#project').count(), 0, 'no project picker');
      assert.equal(await text(page.locator('#signout')), 'Sign out');
    }));

  it('signs in with the admin token: Keys in the nav and a project picker', pageTest(stack,
    async (page) => {
      await s.signIn(page, s.adminToken);
      assert.deepEqual(await navTexts(page), [...NAV, 'Keys']);
      const options = (await page.locator('select#project option').allTextContents())
        .map((t) => t.trim());
      for (const p of ['shop', 'lab']) {
        assert.ok(options.some((o) => o.includes(p)), `project ${p} in the picker: ${options}`);
      }
    }));

  it('signs in with the keyboard alone (Tab, typing, Enter) and shows where focus is',
    pageTest(stack, async (page) => {
      await page.goto(`${s.base}/ui/`);
      await page.locator('form#signin').waitFor();
      let found = false;
      for (let i = 0; i < 15 && !found; i++) {
        await page.keyboard.press('Tab');
        found = await page.evaluate(() => document.activeElement?.getAttribute('name') === 'token');
      }
      assert.ok(found, 'Tab reaches the token input');
      const outline = await page.evaluate(() => {
        const cs = getComputedStyle(document.activeElement);
        return { style: cs.outlineStyle, width: cs.outlineWidth, shadow: cs.boxShadow };
      });
      assert.ok((outline.style !== 'none' && outline.width !== '0px') || outline.shadow !== 'none',
        `a visible focus indicator on the input: ${JSON.stringify(outline)}`);
      await page.keyboard.type(s.key);
      await page.keyboard.press('Enter');
      await page.locator('#signout').waitFor();
      // Then to the Events page by Tab and Enter only.
      let onEvents = false;
      for (let i = 0; i < 40 && !onEvents; i++) {
        await page.keyboard.press('Tab');
        onEvents = await page.evaluate(() => {
          const a = document.activeElement;
          return a?.tagName === 'A' && a.textContent.trim() === 'Events';
        });
      }
      assert.ok(onEvents, 'Tab reaches the Events link');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#/events');
    }));
});

describe('the token', () => {
  it('lives in sessionStorage only: no cookie, no URL, sent as a Bearer header',
    pageTest(stack, async (page) => {
      const job = await s.scheduleJob();
      const eventId = await s.postEvent({ type: 'order.created', id: 'ord_token' });
      const authHeaders = [];
      page.on('request', (req) => {
        if (req.url().includes('/api/v1/')) authHeaders.push(req.headers().authorization);
      });
      await s.signIn(page, s.key);
      for (const r of [...ROUTES, `#/jobs/${job.id}`, `#/events/${eventId}`]) {
        const seen = page.waitForResponse((res) => res.url().includes('/api/v1/'),
          { timeout: 3000 }).catch(() => null);
        await go(page, r);
        await seen;
      }
      assert.equal(await page.evaluate(() => sessionStorage.getItem('dispatch.token')), s.key);
      assert.deepEqual(await page.context().cookies(), [], 'no cookie');
      assert.equal(await page.evaluate(() => document.cookie), '');
      const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
      assert.ok(!local.includes(s.key), 'not in localStorage');
      assert.ok(page.bt.requests.length > 5, 'requests were recorded');
      const secret = s.key.slice(3); // the hex part, however a URL might encode it
      const leaks = page.bt.requests.filter((u) => u.includes(secret));
      assert.deepEqual(leaks, [], 'the token is in no requested URL');
      assert.ok(authHeaders.length > 0 && authHeaders.every((h) => h === `Bearer ${s.key}`),
        `every API request carries Authorization: Bearer <key> (${authHeaders.length} seen)`);
    }));

  it('is forgotten on sign-out', pageTest(stack, async (page) => {
    await s.signIn(page, s.key);
    await page.locator('#signout').click();
    await page.locator('form#signin').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('dispatch.token')), null);
    assert.ok(!(await page.evaluate(() => JSON.stringify({ ...sessionStorage })))
      .includes(s.key));
    await page.reload();
    await page.locator('form#signin').waitFor();
    assert.equal(await page.locator('#signout').count(), 0, 'still signed out after a reload');
    await go(page, '#/jobs');
    await page.locator('form#signin').waitFor();
    assert.equal(await page.locator('#signout').count(), 0);
  }));
});

async function keys() {
  return (await s.adminApi('GET', `/api/v1/projects/${PROJECT}/keys`)).data;
}

describe('keys page (admin)', () => {
  it('creates a key shown once, then revokes it', pageTest(stack, async (page) => {
    await s.signIn(page, s.adminToken);
    await pickProject(page, PROJECT);
    await go(page, '#/keys');
    await page.locator(`table tr[data-id="${s.keyId}"]`).waitFor();
    const before = await keys();

    const label = page.locator('input[name="label"]');
    if (await label.count()) await label.fill('made in the browser');
    await page.getByRole('button', { name: 'Create key', exact: true }).click();
    const shown = page.locator('code#new-key');
    await shown.waitFor();
    const key = await text(shown);
    assert.match(key, /^sk_[0-9a-f]{64}$/);
    assert.equal((await s.api('GET', '/api/v1/jobs', { token: key })).status, 200, 'the key works');
    const created = await until(async () => (await keys()).find(
      (k) => !before.some((b) => b.id === k.id)), { what: 'the new key in the list' });
    assert.equal(created.last4, key.slice(-4));
    const row = page.locator(`table tr[data-id="${created.id}"]`);
    await row.waitFor({ timeout: 2500 });

    // Gone after navigating away and back.
    await go(page, '#/jobs');
    await page.locator('code#new-key').waitFor({ state: 'detached' });
    await go(page, '#/keys');
    await row.waitFor();
    assert.equal(await page.locator('code#new-key').count(), 0, 'not shown a second time');
    assert.ok(!(await page.locator('body').innerText()).includes(key), 'the key is nowhere');
    assert.ok(!(await page.content()).includes(key.slice(3)), 'not even in the DOM');

    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    await until(() => page.bt.dialogs.some((d) => d.type === 'confirm'),
      { what: 'a confirm dialog' });
    const revokedAt = await until(async () => (await keys())
      .find((k) => k.id === created.id).revokedAt, { what: 'revokedAt in the API' });
    await row.locator(`time[datetime="${revokedAt}"]`).waitFor({ timeout: 2500 });
    assert.equal((await s.api('GET', '/api/v1/jobs', { token: key })).status, 401,
      'the revoked key is refused');
    // The other key is untouched.
    assert.equal((await s.api('GET', '/api/v1/jobs', { token: s.key })).status, 200);
  }));
});
