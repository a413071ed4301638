// The jobs pages: a lamp flipping live, the attempt log, cancel; polling with ETags.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAIN_LAMP, go, isoIn, pageTest, startStack, text, until } from './harness.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });
const stack = () => s;

describe('job page', () => {
  it('flips the lamp to SUCCESS without a reload and shows the attempt', pageTest(stack,
    async (page) => {
      await s.signIn(page, s.key);
      const job = await s.scheduleJob({ title: 'lamp flip', fireAt: isoIn(2000) });
      await go(page, `#/jobs/${job.id}`);
      const lamp = page.locator(MAIN_LAMP).first();
      await page.locator(`${MAIN_LAMP}[data-status="SCHEDULED"]`).first().waitFor();
      assert.equal(await text(lamp), 'SCHEDULED');
      assert.ok((await page.locator('body').innerText()).includes('lamp flip'), 'the title shows');
      await page.evaluate(() => { window.__notReloaded = true; });

      // When the API first says SUCCESS (polled every 50 ms) …
      const apiSuccess = until(async () => {
        const r = await s.keyApi('GET', `/api/v1/jobs/${job.id}`);
        return r.data?.status === 'SUCCESS' && Date.now();
      }, { timeoutMs: 10000, what: 'the job to succeed' });
      // … the lamp follows within 2 s.
      await page.locator(`${MAIN_LAMP}[data-status="SUCCESS"]`).first()
        .waitFor({ timeout: 10000 });
      const shownAt = Date.now();
      const succeededAt = await apiSuccess;
      assert.equal(await text(page.locator(MAIN_LAMP).first()), 'SUCCESS');
      assert.ok(shownAt - succeededAt < 2000,
        `the lamp flipped ${shownAt - succeededAt} ms after the API said SUCCESS`);
      assert.equal(await page.evaluate(() => window.__notReloaded), true, 'no reload');
      assert.equal(s.receiver.count('/job'), 1);

      const rows = page.locator('table.attempts tbody tr');
      await until(async () => (await rows.count()) === 1, { what: 'one attempt row' });
      const row = await text(rows.first());
      for (const want of ['1', 'SUCCESS', '200']) {
        assert.ok(row.includes(want), `the attempt row shows ${want}: ${row}`);
      }
      assert.ok(row.includes('received'), `the attempt row shows the response body: ${row}`);
    }));

  it('lists attempts newest first', pageTest(stack, async (page) => {
    // Attempt 1 gets 500, attempt 2 (300 ms later) 200.
    s.receiver.setStatus('/flaky', 500);
    const job = await s.scheduleJob({ title: 'flaky', fireAt: isoIn(300),
      webhookUrl: s.receiver.url('/flaky') });
    await until(() => s.receiver.count('/flaky') >= 1, { what: 'the first attempt' });
    s.receiver.setStatus('/flaky', 200);
    await until(async () => (await s.keyApi('GET', `/api/v1/jobs/${job.id}`)).data.status ===
      'SUCCESS', { what: 'the retry to succeed' });
    await s.signIn(page, s.key);
    await go(page, `#/jobs/${job.id}`);
    const rows = page.locator('table.attempts tbody tr');
    await until(async () => (await rows.count()) === 2, { what: 'two attempt rows' });
    const first = await text(rows.nth(0));
    const second = await text(rows.nth(1));
    assert.ok(first.includes('200') && first.includes('SUCCESS'), `newest first: ${first}`);
    assert.ok(second.includes('500') && second.includes('FAILED'), `then the older: ${second}`);
  }));

  it('cancels a SCHEDULED job only after the confirm dialog is accepted', pageTest(stack,
    async (page) => {
      const job = await s.scheduleJob({ title: 'to cancel' });
      await s.signIn(page, s.key);
      await go(page, `#/jobs/${job.id}`);
      await page.locator(`${MAIN_LAMP}[data-status="SCHEDULED"]`).first().waitFor();
      const cancel = page.getByRole('button', { name: 'Cancel', exact: true });

      page.bt.dialogAnswer = false;
      await cancel.click();
      await until(() => page.bt.dialogs.length === 1, { what: 'a confirm dialog' });
      assert.equal(page.bt.dialogs[0].type, 'confirm');
      // Give a wrongly sent request time to land, then check nothing changed.
      await page.waitForTimeout(300);
      assert.equal((await s.keyApi('GET', `/api/v1/jobs/${job.id}`)).data.status, 'SCHEDULED');

      page.bt.dialogAnswer = true;
      await cancel.click();
      await page.locator(`${MAIN_LAMP}[data-status="CANCELLED"]`).first().waitFor();
      assert.equal(await text(page.locator(MAIN_LAMP).first()), 'CANCELLED');
      await page.locator('#flash', { hasText: 'Job cancelled successfully' }).waitFor();
      assert.equal(await page.locator('#flash').getAttribute('role'), 'status');
      assert.equal((await s.keyApi('GET', `/api/v1/jobs/${job.id}`)).data.status, 'CANCELLED');
    }));
});

describe('jobs page', () => {
  it('lists jobs with their lamps and follows a cancel made elsewhere', pageTest(stack,
    async (page) => {
      const job = await s.scheduleJob({ title: 'listed' });
      await s.signIn(page, s.key);
      const row = page.locator(`table tr[data-id="${job.id}"]`);
      await row.waitFor();
      await row.locator('.lamp[data-status="SCHEDULED"]').waitFor();
      const r = await s.keyApi('DELETE', `/api/v1/jobs/${job.id}`);
      assert.equal(r.status, 200);
      await row.locator('.lamp[data-status="CANCELLED"]').waitFor({ timeout: 2500 });
      assert.equal(await text(row.locator('.lamp')), 'CANCELLED');
    }));

  it('polls with If-None-Match and gets 304 while nothing changes', pageTest(stack,
    async (page) => {
      const seen = [];
      page.on('response', async (res) => {
        const u = new URL(res.url());
        if (u.pathname === '/api/v1/jobs') {
          seen.push({ status: res.status(),
            inm: (await res.request().allHeaders())['if-none-match'] ?? null });
        }
      });
      await s.signIn(page, s.key);
      await until(() => seen.length >= 4, { timeoutMs: 6000, what: 'four polls of the list' });
      assert.equal(seen[0].status, 200);
      const later = seen.slice(1);
      assert.ok(later.every((x) => x.inm), `later polls send If-None-Match: ${JSON.stringify(seen)}`);
      assert.ok(later.some((x) => x.status === 304), `some answers are 304: ${JSON.stringify(seen)}`);
    }));
});

// The browser's local time n ms from now as a datetime-local value, and that instant in UTC.
async function localIn(page, ms) {
  return page.evaluate((ms) => {
    const d = new Date(Date.now() + ms);
    d.setMilliseconds(0);
    const p = (n) => String(n).padStart(2, '0');
    return { local: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T` +
      `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`, iso: d.toISOString() };
  }, ms);
}

describe('forms', () => {
  it('schedules a job from the jobs page, which then fires', pageTest(stack, async (page) => {
    await s.signIn(page, s.key);
    const submit = page.getByRole('button', { name: 'Schedule job', exact: true });
    const f = page.locator('form', { has: submit });
    const at = await localIn(page, 2500);
    await f.getByLabel('Title').fill('made in the browser');
    await f.getByLabel('Webhook URL').fill(s.receiver.url('/from-form'));
    await f.getByLabel('Fire at').fill(at.local);
    await f.getByLabel('Payload (JSON object)').fill('{"from": "form"}');
    await submit.click();
    await page.locator('#flash', { hasText: 'Job scheduled successfully' }).waitFor();
    const job = await until(async () => (await s.keyApi('GET', '/api/v1/jobs?limit=100')).data
      .jobs.find((j) => j.title === 'made in the browser'), { what: 'the job in the API' });
    assert.equal(job.webhookUrl, s.receiver.url('/from-form'));
    assert.equal(job.fireAt, at.iso, 'the local time is sent as its UTC instant');
    assert.deepEqual(job.payload, { from: 'form' });
    const row = page.locator(`table tr[data-id="${job.id}"]`);
    await row.waitFor({ timeout: 2500 });
    await row.locator('.lamp[data-status="SUCCESS"]').waitFor({ timeout: 10000 });
    assert.equal(s.receiver.count('/from-form'), 1);
  }));

  it('creates, pauses, resumes and deletes a schedule', pageTest(stack, async (page) => {
    await s.signIn(page, s.key);
    await go(page, '#/schedules');
    const submit = page.getByRole('button', { name: 'Create schedule', exact: true });
    const f = page.locator('form', { has: submit });
    await f.getByLabel('Title').fill('Daily digest');
    await f.getByLabel('Webhook URL').fill(s.receiver.url('/digest'));
    await f.getByLabel('Cron').fill('0 9 * * MON-FRI');
    await f.getByLabel('Time zone').fill('Europe/Berlin');
    await submit.click();
    await page.locator('#flash', { hasText: 'Schedule created successfully' }).waitFor();
    const list = async () => (await s.keyApi('GET', '/api/v1/schedules')).data.schedules;
    const sched = (await list()).find((x) => x.title === 'Daily digest');
    assert.ok(sched, 'the schedule is in the API');
    assert.equal(sched.cron, '0 9 * * MON-FRI');
    assert.equal(sched.timezone, 'Europe/Berlin');
    const row = page.locator(`table tr[data-id="${sched.id}"]`);
    await row.waitFor();
    const paused = async () => (await list()).find((x) => x.id === sched.id).paused;

    await row.getByRole('button', { name: 'Pause', exact: true }).click();
    await row.getByRole('button', { name: 'Resume', exact: true }).waitFor();
    assert.equal(await paused(), true);
    await row.getByRole('button', { name: 'Resume', exact: true }).click();
    await row.getByRole('button', { name: 'Pause', exact: true }).waitFor();
    assert.equal(await paused(), false);

    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    assert.ok(page.bt.dialogs.some((d) => d.type === 'confirm'), 'Delete asked first');
    assert.equal((await s.keyApi('GET', `/api/v1/schedules/${sched.id}`)).status, 404);
  }));
});
