// Events (replay, bodies as text), deliveries (retry of a DEAD one), destinations (pause,
// resume).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { go, pageTest, startStack, text, until } from './harness.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });
const stack = () => s;

async function eventData(id) {
  return (await s.keyApi('GET', `/api/v1/events/${id}`)).data;
}

async function deliveryStatus(id) {
  return (await s.keyApi('GET', `/api/v1/deliveries/${id}`)).data?.status;
}

describe('event page', () => {
  it('shows headers, body and deliveries, and Replay creates a new delivery', pageTest(stack,
    async (page) => {
      const id = await s.postEvent({ type: 'order.created', id: 'ord_1001', amount: 1999 });
      const ev = await until(async () => {
        const e = await eventData(id);
        return e.deliveries.length === 2 && e.deliveries.every((d) => d.status === 'SUCCESS') && e;
      }, { what: 'both deliveries to succeed' });
      await s.signIn(page, s.key);
      await go(page, `#/events/${id}`);
      for (const d of ev.deliveries) {
        await page.locator(`table.deliveries tr[data-id="${d.id}"]`).first().waitFor();
      }
      assert.ok((await text(page.locator('pre.body'))).includes('ord_1001'), 'the body shows');
      assert.ok((await text(page.locator('table.headers'))).includes('content-type'),
        'the headers show');

      await page.getByRole('button', { name: 'Replay', exact: true }).click();
      await page.locator('#flash', { hasText: 'Event replayed' }).waitFor();
      const after = await until(async () => {
        const e = await eventData(id);
        return e.deliveries.length === 4 && e;
      }, { what: 'the replay\'s deliveries' });
      const fresh = after.deliveries.filter((d) => !ev.deliveries.some((o) => o.id === d.id));
      assert.equal(fresh.length, 2);
      for (const d of fresh) {
        await page.locator(`table.deliveries tr[data-id="${d.id}"]`).first()
          .waitFor({ timeout: 2500 });
      }
    }));

  it('renders a body holding HTML as text, never as markup', pageTest(stack, async (page) => {
    const evil = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
    const rawId = await s.postEvent(evil);
    const jsonId = await s.postEvent({ type: 'order.note', note: evil });
    await s.signIn(page, s.key);
    for (const [id, exact] of [[rawId, true], [jsonId, false]]) {
      await go(page, `#/events/${id}`);
      const body = page.locator('pre.body');
      await page.locator('pre.body', { hasText: '<script>window.__xss=1</script>' }).waitFor();
      const shown = await body.textContent();
      if (exact) assert.equal(shown, evil, 'a body that is not JSON shows byte for byte');
      else {
        // JSON text escapes the quotes: onerror=\"…\".
        assert.ok(shown.includes(JSON.stringify(evil).slice(1, -1)),
          `the JSON body holds the markup as text: ${shown}`);
      }
      assert.equal(await body.locator('script, img').count(), 0, 'no element made of it');
    }
    // The image's error handler would have run by now; make sure the page has settled.
    await page.waitForFunction(() => document.readyState === 'complete');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.ok(!page.bt.requests.some((u) => /\/x$/.test(u)), 'no request for the image');
  }));
});

describe('deliveries page', () => {
  it('Retry re-arms a DEAD delivery, which then succeeds', pageTest(stack, async (page) => {
    s.receiver.setStatus('/app', 500);
    // ping.test: only `app` takes it (billing's `events` are invoice.* and order.*).
    const id = await s.postEvent({ type: 'ping.test', id: 'ord_dead' });
    const dead = await until(async () => {
      const d = (await eventData(id)).deliveries.find((x) => x.destination === 'app');
      return d?.status === 'DEAD' && d;
    }, { what: 'the delivery to go DEAD' });
    assert.equal(dead.attempts, 2);
    s.receiver.setStatus('/app', 200);

    await s.signIn(page, s.key);
    await go(page, '#/deliveries');
    const row = page.locator(`table tr[data-id="${dead.id}"]`);
    await row.locator('.lamp[data-status="DEAD"]').waitFor();
    await row.getByRole('button', { name: 'Retry', exact: true }).click();
    await page.locator('#flash', { hasText: 'Delivery re-armed' }).waitFor();
    await until(async () => (await deliveryStatus(dead.id)) === 'SUCCESS',
      { what: 'the retried delivery to succeed' });
    await row.locator('.lamp[data-status="SUCCESS"]').waitFor({ timeout: 2500 });
    assert.equal(await text(row.locator('.lamp')), 'SUCCESS');
    const d = (await s.keyApi('GET', `/api/v1/deliveries/${dead.id}`)).data;
    assert.equal(d.attempts, 3);
    assert.equal(d.logs[0].responseCode, 200);
  }));
});

describe('redrive', () => {
  it('re-arms every DEAD delivery of a destination', pageTest(stack, async (page) => {
    s.receiver.setStatus('/app', 500);
    const ids = [await s.postEvent({ type: 'ping.redrive', n: 1 }),
      await s.postEvent({ type: 'ping.redrive', n: 2 })];
    const dead = [];
    for (const id of ids) {
      dead.push(await until(async () => {
        const d = (await eventData(id)).deliveries.find((x) => x.destination === 'app');
        return d?.status === 'DEAD' && d;
      }, { what: 'a delivery to go DEAD' }));
    }
    s.receiver.setStatus('/app', 200);
    await s.signIn(page, s.key);
    await go(page, '#/deliveries');
    await page.locator('table.redrive tr[data-id="app"]')
      .getByRole('button', { name: 'Redrive', exact: true }).click();
    await page.locator('#flash', { hasText: 'Dead deliveries re-armed' }).waitFor();
    assert.ok(page.bt.dialogs.some((d) => d.type === 'confirm'), 'Redrive asked first');
    for (const d of dead) {
      await until(async () => (await deliveryStatus(d.id)) === 'SUCCESS',
        { what: `${d.id} to succeed` });
    }
  }));
});

describe('destinations page', () => {
  it('pauses and resumes a destination', pageTest(stack, async (page) => {
    await s.signIn(page, s.key);
    await go(page, '#/destinations');
    const row = page.locator('table tr[data-id="app"]');
    const lamp = row.locator('.lamp[data-state]');
    await row.locator('.lamp[data-state="healthy"]').waitFor();
    assert.equal(await text(lamp), 'healthy');

    await row.getByRole('button', { name: 'Pause', exact: true }).click();
    await row.locator('.lamp[data-state="paused"]').waitFor();
    assert.equal(await text(lamp), 'paused');
    await page.locator('#flash', { hasText: 'Destination paused' }).waitFor();
    const state = async () => (await s.keyApi('GET', '/api/v1/destinations')).data
      .find((d) => d.name === 'app').state;
    assert.equal(await state(), 'paused');

    await row.getByRole('button', { name: 'Resume', exact: true }).click();
    await row.locator('.lamp[data-state="healthy"]').waitFor();
    assert.equal(await text(lamp), 'healthy');
    assert.equal(await state(), 'healthy');
  }));
});
