// A small receiver for Dispatch deliveries, for local use.
//
//   POST /slack      prints the message a `slack` destination sends ({"text": "…"}); the slack
//                    plugin drops the signature headers, so nothing is verified here.
//   POST /<other>    verifies the Standard Webhooks signature (webhook-id, webhook-timestamp,
//                    webhook-signature) with the `standardwebhooks` package, then prints the
//                    event. A bad or missing signature gets 401.
//
//   cd examples/receiver && npm install
//   DISPATCH_SIGNING_SECRET=whsec_… PORT=3000 node server.js
//
// It listens on 127.0.0.1 only. DISPATCH_SIGNING_SECRET is the project's `signing_secret`
// (or the destination's `secret`) from the Dispatch config.
"use strict";

const http = require("node:http");
const { Webhook } = require("standardwebhooks");

const secret = process.env.DISPATCH_SIGNING_SECRET;
if (!secret || !secret.startsWith("whsec_")) {
  console.error("set DISPATCH_SIGNING_SECRET to the whsec_… secret that signs your deliveries");
  process.exit(1);
}
const wh = new Webhook(secret);
const port = Number(process.env.PORT || 3000);
const seen = new Set(); // webhook-id values already received: a retry or a restart resends one

function stamp() {
  return new Date().toISOString().slice(11, 23);
}

// The headers worth showing: all but the transport ones. That is the signature trio,
// Dispatch's X-<prefix>-… headers, User-Agent, the destination's `headers:` and whatever a
// transform set in `headers_out`.
const TRANSPORT = new Set(["host", "connection", "content-length", "accept-encoding", "transfer-encoding"]);
function interestingHeaders(headers) {
  return Object.keys(headers)
    .filter((h) => !TRANSPORT.has(h))
    .sort()
    .map((h) => `    ${h}: ${headers[h]}`)
    .join("\n");
}

function onSlack(req, res, raw) {
  let text = raw;
  try {
    text = JSON.parse(raw).text;
  } catch (_) {
    // not JSON: print it as it came
  }
  console.log(`${stamp()} slack message: ${text}`);
  res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
}

function onWebhook(req, res, raw) {
  try {
    // Verify the raw text exactly as received: a re-serialised JSON would not match.
    wh.verify(raw, req.headers, { jsonParse: false });
  } catch (err) {
    console.log(`${stamp()} REJECTED ${req.url}: ${err.message}`);
    res.writeHead(401, { "Content-Type": "application/json" }).end('{"error":"invalid signature"}');
    return;
  }
  const id = req.headers["webhook-id"];
  const again = seen.has(id) ? "  (this webhook-id was seen before: a retry)" : "";
  seen.add(id);
  let body = raw;
  try {
    body = JSON.stringify(JSON.parse(raw));
  } catch (_) {
    // a transform may deliver any text
  }
  console.log(`${stamp()} verified ${req.url}${again}\n${interestingHeaders(req.headers)}\n    body: ${body}`);
  res.writeHead(200, { "Content-Type": "application/json" }).end('{"received":true}');
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks).toString("utf8");
    if (req.method !== "POST") {
      res.writeHead(405, { Allow: "POST" }).end();
    } else if (req.url === "/slack") {
      onSlack(req, res, raw);
    } else {
      onWebhook(req, res, raw);
    }
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`receiver listening on http://127.0.0.1:${port} (POST /slack, anything else is verified)`);
});

// Dispatch keeps connections alive between deliveries: exit without waiting for them.
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
