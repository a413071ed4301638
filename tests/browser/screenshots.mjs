// Writes PNGs of the dashboard's main pages (scripts/screenshots runs it): the browser tests'
// harness, some realistic data (jobs that succeeded, failed and wait, schedules, GitHub,
// Stripe and shop events, a DEAD delivery, a paused destination), then one picture per page,
// 1280 px wide, and the jobs page 375 px wide.
//   node tests/browser/screenshots.mjs OUT_DIR   (env as for the tests: DISPATCH_BIN,
//   DISPATCH_TEST_ADMIN_URL)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GITHUB_SECRET, PROJECT, STRIPE_SECRET, go, hmacHex, isoIn, pickProject, startStack,
  until } from './harness.mjs';

const out = path.resolve(process.argv[2] || 'docs/screenshots');
fs.mkdirSync(out, { recursive: true });

const s = await startStack();
try {
  await fill(s);
  await shoot(s);
} finally {
  await s.stop();
}

async function fill(s) {
  const r = s.receiver;
  const job = (fields) => s.scheduleJob(fields);
  const status = async (id) => (await s.keyApi('GET', `/api/v1/jobs/${id}`)).data.status;

  // Jobs: one that succeeded, one that failed once then succeeded, one DEAD, some waiting.
  r.setStatus('/hooks/dunning', 500);
  r.setStatus('/hooks/partner-sync', 503);
  const ok = await job({ title: 'Trial expiry reminder · usr_812', fireAt: isoIn(300),
    webhookUrl: r.url('/hooks/trial-expiry'), payload: { userId: 'usr_812', plan: 'pro' } });
  const flaky = await job({ title: 'Partner sync · acme', fireAt: isoIn(400),
    webhookUrl: r.url('/hooks/partner-sync'), payload: { partner: 'acme', since: '2026-12-01' } });
  const dead = await job({ title: 'Invoice dunning · in_1QxY2a', fireAt: isoIn(500),
    webhookUrl: r.url('/hooks/dunning'), payload: { invoice: 'in_1QxY2a', step: 2 } });
  await until(() => r.count('/hooks/partner-sync') >= 1, { what: 'the first sync attempt' });
  r.setStatus('/hooks/partner-sync', 200);
  const cancelled = await job({ title: 'Win-back offer · usr_400',
    webhookUrl: r.url('/hooks/win-back'), payload: { userId: 'usr_400' } });
  await s.keyApi('DELETE', `/api/v1/jobs/${cancelled.id}`);
  await job({ title: 'Renewal notice · sub_77', fireAt: isoIn(5 * 3600_000),
    webhookUrl: r.url('/hooks/renewal'), payload: { subscription: 'sub_77' } });
  await job({ title: 'Welcome series, day 3 · usr_913', fireAt: isoIn(2 * 86400_000),
    webhookUrl: r.url('/hooks/welcome'), payload: { userId: 'usr_913', step: 3 } });
  for (const [id, want] of [[ok.id, 'SUCCESS'], [flaky.id, 'SUCCESS'], [dead.id, 'DEAD']]) {
    await until(async () => (await status(id)) === want, { timeoutMs: 15000, what: `${id} ${want}` });
  }

  // Schedules.
  const sched = async (body) => {
    const x = await s.keyApi('POST', '/api/v1/schedules', { body });
    if (x.status !== 201) throw new Error(`schedule: ${x.status} ${x.text}`);
  };
  await sched({ title: 'Daily digest', webhookUrl: r.url('/hooks/digest'),
    cron: '0 9 * * MON-FRI', timezone: 'Europe/Berlin', payload: { kind: 'digest' } });
  await sched({ title: 'Cache warm-up', webhookUrl: r.url('/hooks/warm'), cron: '@hourly' });
  await sched({ title: 'Monthly usage report', webhookUrl: r.url('/hooks/usage'),
    cron: '0 6 1 * *', timezone: 'America/New_York', paused: true });

  // Events: the shop's own orders (hmac), GitHub and Stripe.
  await s.postEvent({ type: 'order.created', id: 'ord_1042', total: 4999, currency: 'eur' });
  await s.postEvent({ type: 'order.paid', id: 'ord_1042', total: 4999, currency: 'eur' });
  const github = (event) => (text) => ({ 'X-GitHub-Event': event,
    'User-Agent': 'GitHub-Hookshot/7f3c2a1',
    'X-GitHub-Delivery': crypto.randomUUID(),
    'X-Hub-Signature-256': 'sha256=' + hmacHex(GITHUB_SECRET, text) });
  await s.postEvent({ action: 'opened', issue: { number: 311, title: 'Retry button greyed out' },
    repository: { full_name: 'acme/shop' } }, { slug: 'github', sign: github('issues') });
  await s.postEvent({ ref: 'refs/heads/main', commits: [{ id: 'a1b2c3d', message: 'fix: totals' }],
    repository: { full_name: 'acme/shop' } }, { slug: 'github', sign: github('push') });
  const stripe = (text) => {
    const t = Math.floor(Date.now() / 1000);
    return { 'Stripe-Signature': `t=${t},v1=${hmacHex(STRIPE_SECRET, `${t}.${text}`)}`,
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
  };
  await s.postEvent({ id: 'evt_1QxY2b', type: 'invoice.paid',
    data: { object: { id: 'in_1QxY1z', customer: 'cus_R2d2', amount_paid: 1999 } } },
  { slug: 'stripe', sign: stripe });
  r.setStatus('/billing', 503);
  const failing = await s.postEvent({ id: 'evt_1QxY3c', type: 'invoice.payment_failed',
    data: { object: { id: 'in_1QxY2a', customer: 'cus_C3po', amount_due: 4900 } } },
  { slug: 'stripe', sign: stripe });
  await until(async () => (await s.keyApi('GET', `/api/v1/events/${failing}`)).data.deliveries
    .every((d) => d.status === 'DEAD'), { timeoutMs: 15000, what: 'the billing delivery DEAD' });
  r.setStatus('/billing', 200);
  await s.postEvent({ type: 'order.refunded', id: 'ord_1007', total: 1250, currency: 'eur' });
  await s.keyApi('POST', '/api/v1/destinations/ops-chat/pause');
  await until(async () => (await s.keyApi('GET', '/api/v1/deliveries?status=SCHEDULED')).data
    .deliveries.length === 0, { what: 'deliveries to settle' });
  s.shots = { job: flaky.id, event: failing };
}

async function shoot(s) {
  const shots = [];
  const page = await s.newPage({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC',
    locale: 'en-US' });
  await s.signIn(page, s.key);
  const snap = async (name, route, ready, { fullPage = false } = {}) => {
    await go(page, route);
    if (ready) await ready(page);
    await page.waitForTimeout(300); // let the page's poll render what it fetched
    const file = path.join(out, `${name}.png`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: file, fullPage });
    shots.push(file);
  };
  await snap('jobs', '#/jobs', (p) => p.locator('table tr[data-id]').first().waitFor());
  await snap('job', `#/jobs/${s.shots.job}`,
    (p) => p.locator('table.attempts tbody tr').nth(1).waitFor(), { fullPage: true });
  await snap('schedules', '#/schedules', (p) => p.locator('table tr[data-id]').first().waitFor());
  await snap('events', '#/events', (p) => p.locator('table tr[data-id]').first().waitFor());
  await snap('event', `#/events/${s.shots.event}`, (p) => p.locator('pre.body').waitFor(),
    { fullPage: true });
  await snap('deliveries', '#/deliveries', (p) => p.locator('table tr[data-id]').first().waitFor());
  await snap('destinations', '#/destinations',
    (p) => p.locator('table tr[data-id] .lamp[data-state]').first().waitFor());
  await snap('sources', '#/sources', (p) => p.locator('table tr[data-id]').first().waitFor());
  await snap('transforms', '#/transforms', async (p) => {
    const from = p.locator('select[name="from"]');
    await until(async () => (await from.locator('option').count()) > 1, { what: 'transforms' });
    await from.selectOption({ index: 1 });
    await p.locator('textarea[name="body"]').fill(
      '{"type": "order.paid", "id": "ord_1042", "total": 4999}');
    await p.locator('input[name="type"]').fill('order.paid');
    await p.getByRole('button', { name: 'Run', exact: true }).click();
    await p.getByText('deliver', { exact: false }).first().waitFor();
  }, { fullPage: true });
  await page.setViewportSize({ width: 375, height: 760 });
  await snap('jobs-375', '#/jobs', (p) => p.locator('table tr[data-id]').first().waitFor());
  await page.bt.close();

  const admin = await s.newPage({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC',
    locale: 'en-US' });
  await s.adminApi('POST', `/api/v1/projects/${PROJECT}/keys`, { body: { label: 'ci deploy' } });
  await s.signIn(admin, s.adminToken);
  await pickProject(admin, PROJECT);
  await go(admin, '#/keys');
  await admin.locator('table tr[data-id]').first().waitFor();
  const label = admin.locator('input[name="label"]');
  if (await label.count()) await label.fill('billing service');
  await admin.getByRole('button', { name: 'Create key', exact: true }).click();
  await admin.locator('code#new-key').waitFor();
  await admin.waitForTimeout(300);
  const file = path.join(out, 'keys.png');
  await admin.screenshot({ path: file });
  shots.push(file);
  await admin.bt.close();

  let total = 0;
  for (const f of shots) {
    const n = fs.statSync(f).size;
    total += n;
    console.log(`${path.relative(process.cwd(), f)}  ${Math.round(n / 1024)} KiB`);
  }
  console.log(`${shots.length} screenshots, ${Math.round(total / 1024)} KiB`);
}
