// graphile-worker peer for scripts/bench: the same work as a Dispatch delivery or job — POST a
// small JSON body to the receiver on 127.0.0.1 with a keep-alive agent — run by
// graphile-worker on the same PostgreSQL (its own schema, graphile_worker).
//
//   node run.js add   N [RUN_AT_MS [SPREAD_MS]]   bulk-add N jobs (SQL add_jobs, 5,000 a call)
//   node run.js drain N                           run the worker until N jobs ran; print the rate
//   node run.js fire  N [SECONDS]                 run the worker until N jobs ran or SECONDS passed
//
// Env: DATABASE_URL, RECV_URL (e.g. http://127.0.0.1:18182/gw), GW_MODE (batched|default),
//      GW_CONCURRENCY (24), GW_POLL_MS (pollInterval, graphile's default 2000; it only matters
//      for jobs added with a future run_at). "batched" is graphile-worker's documented fastest setup
//      (worker.graphile.org/docs/performance): localQueue {size: 500},
//      completeJobBatchDelay 0, failJobBatchDelay 0, concurrentJobs 24, maxPoolSize 25.
// Output lines: "key value" (read by the scenario scripts).
"use strict";
const http = require("http");
const { run, runMigrations } = require("graphile-worker");
const { Pool } = require("pg");

const connectionString = process.env.DATABASE_URL;
const recvUrl = new URL(process.env.RECV_URL || "http://127.0.0.1:18182/gw");
const mode = process.env.GW_MODE || "batched";
const concurrency = Number(process.env.GW_CONCURRENCY || 24);
const [cmd, nArg, a2, a3] = process.argv.slice(2);
const N = Number(nArg || 0);

function preset() {
  const worker = {
    connectionString,
    concurrentJobs: concurrency,
    maxPoolSize: concurrency + 1,
    pollInterval: Number(process.env.GW_POLL_MS || 2000),
    fileExtensions: [".js"],
  };
  if (mode === "batched") {
    worker.localQueue = { size: 500 };
    worker.completeJobBatchDelay = 0;
    worker.failJobBatchDelay = 0;
  }
  return { worker };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency * 2 });

function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: recvUrl.hostname,
        port: recvUrl.port,
        path: recvUrl.pathname,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode >= 200 && res.statusCode < 300
            ? resolve()
            : reject(new Error(`receiver answered ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function add() {
  const runAt = a2 ? Number(a2) : null;
  const spread = a3 ? Number(a3) : 0;
  await runMigrations({ preset: preset() });
  const pool = new Pool({ connectionString, max: 2 });
  const t0 = Date.now();
  const step = 5000;
  for (let from = 0; from < N; from += step) {
    const to = Math.min(N, from + step);
    // One add_jobs call per 5,000 jobs; run_at NULL means "now".
    await pool.query(
      `SELECT count(*) FROM graphile_worker.add_jobs(array(
         SELECT ('post', json_build_object('i', i, 'fireAtMs', at)::json, NULL,
                 CASE WHEN at IS NULL THEN NULL ELSE to_timestamp(at / 1000.0) END,
                 NULL, NULL, NULL, NULL)::graphile_worker.job_spec
         FROM (SELECT i, CASE WHEN $3::bigint IS NULL THEN NULL
                              ELSE $3::bigint + (i * $4::bigint) / $5::bigint END AS at
               FROM generate_series($1::int, $2::int - 1) i) s))`,
      [from, to, runAt, spread, N],
    );
  }
  console.log(`graphile_add_seconds ${((Date.now() - t0) / 1000).toFixed(2)}`);
  await pool.end();
}

async function work(limitMs) {
  let done = 0;
  let failed = 0;
  let first = 0;
  let last = 0;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const taskList = {
    post: async (payload, helpers) => {
      const body = JSON.stringify({
        jobId: helpers.job.id,
        title: "bench",
        payload,
        firedAt: new Date().toISOString(),
      });
      try {
        await post(body);
      } catch (e) {
        ++failed;
        throw e;
      }
      const now = Date.now();
      if (!first) first = now;
      last = now;
      if (++done >= N) finish();
    },
  };
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const runner = await run({ preset: preset(), taskList, noHandleSignals: true, logger: quietLogger() });
  const timer = setTimeout(finish, limitMs);
  await finished;
  clearTimeout(timer);
  const t1 = Date.now();
  const cpu = process.cpuUsage(cpu0);
  await runner.stop();
  agent.destroy();
  return { done, failed, t0, t1, first, last, cpuSecs: (cpu.user + cpu.system) / 1e6 };
}

function quietLogger() {
  const { Logger } = require("graphile-worker");
  return new Logger(() => (level, message) => {
    if (level === "error") console.error(message);
  });
}

async function main() {
  if (cmd === "add") return add();
  if (cmd === "drain") {
    const r = await work(Number(process.env.GW_LIMIT_MS || 600000));
    const secs = (r.t1 - r.t0) / 1000;
    console.log(`graphile_mode ${mode} concurrency ${concurrency}`);
    console.log(`graphile_done ${r.done} of ${N} failed_attempts ${r.failed}`);
    console.log(`graphile_drain_seconds ${secs.toFixed(3)}`);
    console.log(`graphile_jobs_per_s ${(r.done / secs).toFixed(0)}`);
    console.log(`graphile_node_cores ${(r.cpuSecs / secs).toFixed(2)}`);
    return;
  }
  if (cmd === "fire") {
    const r = await work(Number(a2 || 60) * 1000);
    console.log(`graphile_done ${r.done} of ${N} failed_attempts ${r.failed}`);
    return;
  }
  console.error("usage: run.js add N [RUN_AT_MS [SPREAD_MS]] | drain N | fire N [SECONDS]");
  process.exit(2);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
