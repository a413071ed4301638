// The admin's keys page: a key created (shown once) and revoked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROJECT, go, pageTest, pickProject, startStack, text, until } from './harness.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });
const stack = () => s;

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
