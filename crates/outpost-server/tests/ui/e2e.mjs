// End-to-end test of Outpost's web UI in headless Chromium.
//
// Starts the real `outpost` binary on a free port with a temporary data directory, seeds two
// tenants, a technician and a customer (CLI), enrolls devices and uploads hits (HTTP API),
// then drives the pages as both users and checks what each may see. Screenshots of every page,
// with this sample data, go to target/ui-screenshots/ under stable names (dashboard.png,
// hit.png, …): the user guide (docs/guide, scripts/build-guide.sh) shows them. Any failed check
// exits non-zero.
//
//   OUTPOST_BIN=target/debug/outpost CHROMIUM=/usr/bin/chromium node e2e.mjs

import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../../..");
const bin = process.env.OUTPOST_BIN || join(root, "target/debug/outpost");
const chromePath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = process.env.OUTPOST_UI_SCREENSHOTS || join(root, "target/ui-screenshots");
mkdirSync(shots, { recursive: true });
const data = mkdtempSync(join(tmpdir(), "outpost-ui-e2e-"));
const serverLog = join(data, "server.log");
const PW_TECH = "tech-password-e2e-1";
const PW_CUST = "alice-password-e2e-1";

function cli(args, input) {
  const r = spawnSync(bin, [...args, "--data-dir", data], {
    input: input ?? "",
    encoding: "utf8",
  });
  if (r.status !== 0) {
    throw new Error(`outpost ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout.trim();
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
let browser;
let op;
const OIDC_SECRET = "outpost-e2e-oidc-secret-4d1a";
const SENSOR_KEY = "e2e-sensoroni-key-93c1";

// A Sensoroni sensor's call to the compatible API (its static key).
async function sensor(base, method, path, body, raw) {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: SENSOR_KEY, "content-type": raw ? "application/octet-stream" : "application/json" },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`sensor ${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// A little pcap (Ethernet, IPv4): a TCP handshake 192.0.2.10:40000 → 203.0.113.7:443 and a
// DNS query 192.0.2.10:5353 → 198.51.100.53:53.
function samplePcap(t0) {
  const u8 = (...b) => Buffer.from(b);
  const be16 = (n) => u8((n >> 8) & 255, n & 255);
  const be32 = (n) => u8((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  const ip = (s) => u8(...s.split(".").map(Number));
  const eth = Buffer.concat([u8(2, 0, 0, 0, 0, 2), u8(2, 0, 0, 0, 0, 1), be16(0x0800)]);
  const ipv4 = (proto, src, dst, payloadLen) =>
    Buffer.concat([u8(0x45, 0), be16(20 + payloadLen), be16(1), be16(0x4000), u8(64, proto), be16(0), ip(src), ip(dst)]);
  const tcp = (sp, dp, seq, ack, flags) =>
    Buffer.concat([be16(sp), be16(dp), be32(seq), be32(ack), u8(0x50, flags), be16(64240), be16(0), be16(0)]);
  const udp = (sp, dp, data) => Buffer.concat([be16(sp), be16(dp), be16(8 + data.length), be16(0), data]);
  const frames = [
    Buffer.concat([eth, ipv4(6, "192.0.2.10", "203.0.113.7", 20), tcp(40000, 443, 1000, 0, 0x02)]),
    Buffer.concat([eth, ipv4(6, "203.0.113.7", "192.0.2.10", 20), tcp(443, 40000, 5000, 1001, 0x12)]),
    Buffer.concat([eth, ipv4(6, "192.0.2.10", "203.0.113.7", 20), tcp(40000, 443, 1001, 5001, 0x10)]),
    Buffer.concat([eth, ipv4(17, "192.0.2.10", "198.51.100.53", 8 + 12), udp(5353, 53, Buffer.alloc(12, 7))]),
  ];
  const le32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
  const head = Buffer.concat([le32(0xa1b2c3d4), u8(2, 0, 4, 0), le32(0), le32(0), le32(65535), le32(1)]);
  const recs = frames.map((f, i) => Buffer.concat([le32(t0 + i), le32(0), le32(f.length), le32(f.length), f]));
  return Buffer.concat([head, ...recs]);
}

// Starts tests/ui/oidc-provider.mjs with Outpost's callback and logout return addresses.
// A provider that does not come up fails the test (no skip).
async function startProvider(base) {
  const child = spawn(process.execPath, [join(here, "oidc-provider.mjs"), "--port", "0",
    "--client-id", "outpost", "--client-secret", OIDC_SECRET,
    "--redirect-uri", `${base}/api/v1/auth/oidc/corp/callback`,
    "--post-logout-redirect-uri", `${base}/login`], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error("the OpenID Provider did not start within 30 s")), 30000);
    child.once("exit", (c) => rej(new Error(`the OpenID Provider exited (${c})`)));
    lines.on("line", (l) => {
      if (l.startsWith("OIDC_READY ")) {
        clearTimeout(t);
        res(JSON.parse(l.slice("OIDC_READY ".length)));
      }
    });
  });
  return { child, issuer: ready.issuer };
}

// Only the loopback: the browser may not reach anything else (fonts, trackers, …).
async function loopbackOnly(ctx) {
  await ctx.route("**/*", (r) => {
    const h = new URL(r.request().url()).hostname;
    return h === "127.0.0.1" ? r.continue() : r.abort();
  });
}

// Signs in through the provider as `user` from a fresh context; returns the page.
async function ssoLogin(base, user, shotName) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await loopbackOnly(ctx);
  const p = await ctx.newPage();
  await p.goto(base + "/login");
  await p.click("[data-testid=sso-corp]");
  await p.waitForSelector("#op-user");
  if (shotName) await p.screenshot({ path: join(shots, shotName), fullPage: true });
  await p.fill("#op-user", user);
  await p.fill("#op-password", `${user}-pw`);
  await p.click("#op-submit");
  await p.waitForURL((u) => u.pathname === "/ui/dashboard" || u.pathname.includes("/api/v1/auth/oidc/"), { timeout: 15000 });
  await p.waitForLoadState("load");
  return p;
}
let failed = false;
const step = (m) => console.log(`[ui-e2e] ${m}`);

async function api(base, method, path, token, body) {
  const r = await fetch(base + path, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function hit(ip, proc, count, extra = {}) {
  const now = Date.now();
  return {
    remote_ip: ip,
    remote_port: 443,
    protocol: "tcp",
    process_name: proc,
    pid: 4321,
    exe_path: `/usr/bin/${proc}`,
    first_seen_utc: new Date(now - 20 * 60000).toISOString(),
    last_seen_utc: new Date(now - 60000).toISOString(),
    hit_count: count,
    // A sample event as an agent's eBPF sensor records it (the guide's pictures show it).
    sample_events: [
      { ts: new Date(now - 20 * 60000).toISOString(), kind: "network", source: "e2e-sample-source",
        process: { pid: 4321, ppid: 1200, name: proc, exe: `/usr/bin/${proc}`, command_line: `${proc} https://${ip}/`, user: "deploy", uid: 1001 },
        network: { direction: "outbound", protocol: "tcp", local_ip: "192.0.2.10", local_port: 40000,
          remote_ip: ip, remote_port: 443, action: "allowed" } },
    ],
    intel: { indicator: ip, source: "ipsum-e2e", score: 4 },
    ...extra,
  };
}

async function main() {
  step(`binary ${bin}, data dir ${data}`);
  cli(["tenant", "create", "--name", "acme"]);
  cli(["tenant", "create", "--name", "globex"]);
  const ekAcme = cli(["key", "create", "--kind", "enrollment", "--tenant", "acme"]);
  const ekGlobex = cli(["key", "create", "--kind", "enrollment", "--tenant", "globex"]);
  cli(["user", "create", "--username", "tech", "--role", "technician"], PW_TECH + "\n");
  cli(["user", "create", "--username", "alice", "--role", "customer", "--tenant", "acme"], PW_CUST + "\n");

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The real OpenID Provider (oidc-provider.mjs) for the sign-in steps.
  op = await startProvider(base);
  step(`OpenID Provider on ${op.issuer}`);
  const configPath = join(data, "outpost.toml");
  writeFileSync(configPath, `[sensoroni]
api_key = "${SENSOR_KEY}"
tenant = "acme"

[auth]
local_login = true

[[auth.oidc]]
name = "corp"
display_name = "Corp SSO"
issuer = "${op.issuer}"
client_id = "outpost"
client_secret_env = "OUTPOST_E2E_OIDC_SECRET"
scopes = ["email", "profile", "groups"]

[[auth.oidc.rules]]
groups = ["msp-techs"]
role = "technician"

[[auth.oidc.rules]]
email_domains = ["acme.example"]
role = "customer"
tenant = "acme"
`);
  const logFd = openSync(serverLog, "w");
  server = spawn(bin, ["server", "--config", configPath, "--data-dir", data, "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", logFd, logFd],
    env: { ...process.env, NO_COLOR: "1", OUTPOST_PUBLIC_URL: base, OUTPOST_E2E_OIDC_SECRET: OIDC_SECRET },
  });
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try {
      up = (await fetch(base + "/healthz")).ok;
    } catch {
      await sleep(100);
    }
  }
  assert.ok(up, "server did not come up");
  step(`server on ${base}`);

  // Devices and hits through the API, as agents would upload them.
  const enroll = (key, hostname) =>
    api(base, "POST", "/api/v1/enroll", null, { enrollment_key: key, hostname, os: "Debian 12", agent_version: "0.9.0-e2e" });
  const web = await enroll(ekAcme, "acme-web-01");
  const db = await enroll(ekAcme, "acme-db-01");
  const gx = await enroll(ekGlobex, "globex-app-01");
  const upload = (dev, hostname, batch, hits) =>
    api(base, "POST", "/api/v1/hits", dev.device_token, {
      batch_id: batch, tenant_id: dev.tenant_id, device_id: dev.device_id, hostname,
      agent_version: "0.9.0-e2e", hotlist_version: "hotlist-e2e-7", hits,
    });
  await upload(web, "acme-web-01", "e2e-batch-web", [
    // The feed scores this address 10 of 10: risk 100, an alert (the guide's picture of a hit).
    hit("203.0.113.7", "curl", 12, { intel: { indicator: "203.0.113.7", source: "ipsum-e2e", score: 10 } }),
    hit("192.0.2.55", "python3", 3),
  ]);
  await upload(db, "acme-db-01", "e2e-batch-db", [hit("203.0.113.7", "postgres", 5)]);
  await upload(gx, "globex-app-01", "e2e-batch-globex", [hit("198.51.100.23", "globexsecretd", 9)]);
  const techToken = (await api(base, "POST", "/api/v1/auth/login", null, { username: "tech", password: PW_TECH })).token;
  const all = (await api(base, "GET", "/api/v1/hits", techToken)).items;
  assert.equal(all.length, 4);
  const globexHit = all.find((h) => h.tenant_id === gx.tenant_id);
  const curlHit = all.find((h) => h.process_name === "curl");
  const pyHit = all.find((h) => h.process_name === "python3");
  // A tenant indicator (the intel page) and a telemetry event that matches it: an alert
  // (indicator score 10 → risk 100, the default threshold) for the alerts page.
  await api(base, "POST", "/api/v1/intel/indicators", techToken,
    { tenant_id: "acme", kind: "ip", value: "203.0.113.7", score: 10, source: "analyst" });
  const evr = await api(base, "POST", "/api/v1/events", web.device_token, { batch_id: "e2e-events-1", events: [
    { ts: new Date(Date.now() - 5 * 60000).toISOString(), kind: "network", source: "ebpf",
      process: { pid: 4321, name: "curl", exe: "/usr/bin/curl", command_line: "curl https://203.0.113.7/" },
      network: { direction: "outbound", protocol: "tcp", local_ip: "192.0.2.10", local_port: 40000,
        remote_ip: "203.0.113.7", remote_port: 443, action: "allowed" } },
  ] });
  assert.equal(evr.alerts, 1, `the event to the listed address is an alert: ${JSON.stringify(evr)}`);
  // The threatintel seed's attack model (reconstructed; ids that are not UUIDs, loaded
  // leniently) as a global model, and an event of its last step (`kubectl logs`).
  const seedModel = JSON.parse(readFileSync(join(root, "crates/outpost-stix/tests/data/seed-attack-model.json"), "utf8"));
  const model = await api(base, "POST", "/api/v1/attack-models", techToken, seedModel);
  assert.equal(model.steps, 5, `the seed's model has five steps: ${JSON.stringify(model)}`);
  await api(base, "POST", "/api/v1/events", web.device_token, { batch_id: "e2e-events-2", events: [
    { ts: new Date(Date.now() - 2 * 60000).toISOString(), kind: "process_exec", source: "ebpf",
      process: { pid: 4400, name: "kubectl", exe: "/usr/local/bin/kubectl", args: ["kubectl", "logs", "log-reader"] } },
  ] });

  browser = await chromium.launch({
    executablePath: chromePath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });

  // ------------------------------------------------------------ technician
  const tctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const t = await tctx.newPage();
  const pageErrors = [];
  t.on("pageerror", (e) => pageErrors.push(String(e)));
  await t.goto(base + "/ui/hits");
  assert.match(t.url(), /\/login$/, "unauthenticated page must redirect to /login");
  await t.screenshot({ path: join(shots, "login.png"), fullPage: true });
  await t.fill("#username", "tech");
  await t.fill("#password", "wrong-password-x");
  await t.click("button[type=submit]");
  assert.match(await t.textContent("[data-testid=login-error]"), /Wrong username or password/);
  await t.fill("#username", "tech");
  await t.fill("#password", PW_TECH);
  await Promise.all([t.waitForURL(/\/ui\/dashboard/), t.click("button[type=submit]")]);
  assert.match(await t.textContent("[data-testid=whoami]"), /tech\s+technician/);
  assert.equal(await t.textContent("[data-testid=state-new]"), "4");
  assert.equal(await t.textContent("[data-testid=devices-online]"), "3");
  let openBySeverity = 0;
  for (const b of ["critical", "high", "medium", "low"]) openBySeverity += Number(await t.textContent(`[data-testid=sev-${b}]`));
  assert.equal(openBySeverity, 4, "every new hit is in one severity band");
  const dash = await t.content();
  assert.ok(dash.includes("203.0.113.7") && dash.includes("198.51.100.23"), "tech dashboard shows both tenants' IPs");
  assert.ok((await t.locator("svg.chart rect").count()) >= 24, "chart has bars");
  await t.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
  step("technician: dashboard ok");

  await t.click("nav[aria-label=Main] >> text=Hits");
  await t.waitForURL(/\/ui\/hits/);
  assert.equal(await t.locator("table.hits tbody tr").count(), 4);
  const list = await t.content();
  assert.ok(list.includes("globex-app-01") && list.includes("acme-web-01"));
  assert.ok(list.includes("ipsum-e2e"), "technician sees the intel source");
  await t.screenshot({ path: join(shots, "hits.png"), fullPage: true });

  // Filter: tenant acme + remote IP.
  await t.selectOption("#f-tenant", { label: "acme" });
  await t.fill("#f-ip", "203.0.113.7");
  await Promise.all([t.waitForURL(/ip=203\.0\.113\.7/), t.click("text=Apply filters")]);
  assert.equal(await t.locator("table.hits tbody tr").count(), 2, "two acme hits with that IP");
  assert.ok(!(await t.content()).includes("globex-app-01"), "filtered list has no globex rows");
  await t.screenshot({ path: join(shots, "hits-filtered.png"), fullPage: true });
  // Filter by state, then by process (no match).
  await t.goto(base + "/ui/hits?process=nosuchproc");
  assert.equal(await t.locator("table.hits tbody tr").count(), 0);
  // Paging: one per page (limit is at least 10, so use the API-backed cursor with 4 rows: no next page).
  assert.equal(await t.locator("[data-testid=next-page]").count(), 0);
  step("technician: filters ok");

  // Keyboard: j focuses the first row link, Enter opens it.
  await t.goto(base + "/ui/hits?ip=203.0.113.7&tenant=" + web.tenant_id);
  await t.keyboard.press("j");
  assert.equal(await t.evaluate(() => document.activeElement.classList.contains("rowlink")), true);

  // Open the curl hit; every field, intel, samples, related hit on the other device.
  await t.goto(base + `/ui/hits/${curlHit.id}`);
  const det = await t.content();
  for (const s of ["e2e-batch-web", "hotlist-e2e-7", "ipsum-e2e", "/usr/bin/curl", "e2e-sample-source", "acme-db-01"]) {
    assert.ok(det.includes(s), `hit detail shows ${s}`);
  }
  assert.equal(await t.locator("[data-testid=sample-event]").count(), 1);
  assert.ok(Number(await t.textContent("[data-testid=risk-score]")) > 0, "the hit has a risk score");
  assert.ok((await t.locator("[data-testid=indicators] tbody tr").count()) >= 1, "the indicators are listed");
  assert.ok(await t.locator("button:has-text('Open a ticket')").isDisabled(), "ticket button is disabled");
  await t.screenshot({ path: join(shots, "hit.png"), fullPage: true });
  await Promise.all([t.waitForLoadState("load"), t.click("[data-testid=ack]")]);
  await t.waitForFunction(() => document.querySelector("[data-testid=hit-state]")?.textContent === "Acknowledged");
  assert.ok((await t.content()).includes("user:tech"), "history names the technician");
  await t.screenshot({ path: join(shots, "hit-acknowledged.png"), fullPage: true });
  step("technician: hit acknowledged");

  // PCAP job through the JSON job API.
  await t.click("[data-testid=pcap]");
  await t.waitForSelector("#action-result .notice");
  const pcapMsg = await t.textContent("#action-result .notice");
  assert.match(pcapMsg, /PCAP job \d+ created/, `pcap job: ${pcapMsg}`);
  await t.goto(base + "/ui/jobs");
  assert.ok((await t.content()).includes("pcap"), "jobs page lists the job");
  await t.screenshot({ path: join(shots, "jobs.png"), fullPage: true });

  // Live job states: the job page follows a change made elsewhere (here: the job deleted
  // through the API) without a reload.
  const jobId = Number(pcapMsg.match(/PCAP job (\d+)/)[1]);
  await t.goto(base + `/ui/devices/${curlHit.device_id}`);
  assert.ok((await t.textContent("[data-testid=device-jobs]")).includes("pcap"), "the device page lists its job");
  await t.goto(base + `/ui/jobs/${jobId}`);
  assert.equal(await t.textContent("[data-testid=job-status]"), "pending");
  await t.screenshot({ path: join(shots, "job.png"), fullPage: true });
  await api(base, "DELETE", `/api/v1/jobs/${jobId}`, techToken);
  await t.waitForFunction(() => document.querySelector("[data-testid=job-status]")?.textContent === "deleted", null, { timeout: 15000 });
  step("technician: live job state");

  // False positive on the globex hit, device page with counters section, settings.
  await t.goto(base + `/ui/hits/${globexHit.id}`);
  await Promise.all([t.waitForLoadState("load"), t.click("[data-testid=fp]")]);
  await t.waitForFunction(() => document.querySelector("[data-testid=hit-state]")?.textContent === "False positive");
  await t.goto(base + `/ui/devices/${web.device_id}`);
  assert.ok((await t.content()).includes("Agent counters"));
  await t.screenshot({ path: join(shots, "device.png"), fullPage: true });
  await t.goto(base + "/ui/intel");
  const intelPage = await t.content();
  assert.ok(intelPage.includes("acme") && intelPage.includes("globex"), "the intel page lists every tenant's bundle");
  assert.ok((await t.textContent("[data-testid=key-id]")).trim().length > 0, "with the signing key");
  await t.screenshot({ path: join(shots, "intel.png"), fullPage: true });
  await t.goto(base + "/ui/alerts");
  assert.ok((await t.content()).includes("203.0.113.7"), "the alerts page lists the telemetry alert");
  await t.screenshot({ path: join(shots, "alerts.png"), fullPage: true });
  await t.goto(base + `/ui/attack-models/${model.id}`);
  assert.equal(await t.locator("[data-testid=attack-graph] [data-testid^=attack-step-]").count(), 5, "the graph draws the five steps");
  assert.match(await t.getAttribute("[data-testid=attack-step-5]", "class"), /\bsighted\b/, "the last step is sighted");
  assert.match(await t.getAttribute("[data-testid=attack-step-1]", "class"), /\bunsighted\b/, "the first is not");
  assert.ok((await t.content()).includes("acme-web-01"), "its sighting names the device");
  await t.screenshot({ path: join(shots, "attack-model.png"), fullPage: true });
  await t.goto(base + "/ui/settings");
  const st = await t.content();
  assert.ok(st.includes("alice") && st.includes("globex") && st.includes("enrollment"));
  await t.screenshot({ path: join(shots, "settings.png"), fullPage: true });
  await Promise.all([t.waitForURL(/\/login$/), t.click("text=Sign out")]);
  await t.goto(base + "/ui/dashboard");
  assert.match(t.url(), /\/login$/, "signed out");
  assert.deepEqual(pageErrors, [], "no JavaScript errors");
  step("technician: pcap job, false positive, device, settings, logout ok");

  // ------------------------------------------------------------ customer (narrow screen)
  const cctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const c = await cctx.newPage();
  await c.goto(base + "/login");
  await c.fill("#username", "alice");
  await c.fill("#password", PW_CUST);
  await Promise.all([c.waitForURL(/\/ui\/dashboard/), c.click("button[type=submit]")]);
  assert.match(await c.textContent("[data-testid=whoami]"), /alice\s+customer/);
  const forbidden = ["globex", "198.51.100.23", "globexsecretd", "e2e-batch", "hotlist-e2e-7", "ipsum-e2e", "e2e-sample-source"];
  const noLeak = async (what) => {
    const html = await c.content();
    for (const s of forbidden) assert.ok(!html.includes(s), `customer ${what} must not contain ${s}`);
  };
  await noLeak("dashboard");
  assert.equal(await c.textContent("[data-testid=devices-online]"), "2");
  assert.equal(await c.locator("nav[aria-label=Main] >> text=Settings").count(), 0, "no settings link");
  const overflow = await c.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `dashboard fits a narrow screen (overflow ${overflow}px)`);
  await c.screenshot({ path: join(shots, "customer-dashboard.png"), fullPage: true });

  await c.goto(base + "/ui/hits");
  assert.equal(await c.locator("table.hits tbody tr").count(), 3);
  await noLeak("hit list");
  await c.screenshot({ path: join(shots, "customer-hits.png"), fullPage: true });
  await c.goto(base + "/ui/hits?state=acknowledged");
  assert.equal(await c.locator("table.hits tbody tr").count(), 1, "customer filter by state");

  await c.goto(base + `/ui/hits/${pyHit.id}`);
  await noLeak("hit detail");
  assert.equal(await c.locator("[data-testid=sample-event]").count(), 0);
  assert.equal(await c.locator("[data-testid=fp]").count(), 0, "customers cannot mark false positives");
  assert.equal(await c.locator("[data-testid=pcap]").count(), 0, "customers cannot start jobs");
  await Promise.all([c.waitForLoadState("load"), c.click("[data-testid=ack]")]);
  await c.waitForFunction(() => document.querySelector("[data-testid=hit-state]")?.textContent === "Acknowledged");
  await c.screenshot({ path: join(shots, "customer-hit.png"), fullPage: true });

  let r = await c.goto(base + `/ui/hits/${globexHit.id}`);
  assert.equal(r.status(), 404, "another tenant's hit is not found");
  await noLeak("foreign hit page");
  r = await c.goto(base + `/ui/devices/${gx.device_id}`);
  assert.equal(r.status(), 404, "another tenant's device is not found");
  r = await c.goto(base + `/ui/hits?tenant=${gx.tenant_id}`);
  assert.equal(r.status(), 403, "another tenant's hit list is forbidden");
  r = await c.goto(base + "/ui/settings");
  assert.equal(r.status(), 403, "settings are staff-only");
  await c.goto(base + `/ui/devices/${web.device_id}`);
  assert.ok(!(await c.content()).includes("Agent counters"), "customers do not see agent counters");
  await noLeak("device page");
  step("customer: scoping, simplified fields, acknowledge ok");

  // The API agrees: both acknowledgements were stored with the right actors.
  const hist = await api(base, "GET", `/api/v1/hits/${pyHit.id}/history`, techToken);
  assert.equal(hist.items.at(-1).actor, "user:alice");

  // ------------------------------------------------------------ sign-in through the OpenID Provider
  // Technician by group, through the real redirect flow; the session cookie has the usual flags.
  const ot = await ssoLogin(base, "tech1", "sso-provider-login.png");
  await ot.waitForURL(/\/ui\/dashboard/);
  assert.match(await ot.textContent("[data-testid=whoami]"), /corp:tech1@msp\.example\s+technician/);
  const sess = (await ot.context().cookies()).find((k) => k.name === "outpost_session");
  assert.ok(sess && sess.httpOnly && sess.sameSite === "Strict", `session cookie flags: ${JSON.stringify(sess)}`);
  assert.ok((await ot.content()).includes("198.51.100.23"), "the SSO technician sees every tenant");
  await ot.screenshot({ path: join(shots, "sso-dashboard.png"), fullPage: true });
  // Sign out: Outpost's session ends and the provider's too (RP-initiated logout), back to /login.
  await ot.click("text=Sign out");
  await ot.waitForSelector("#op-logout");
  await ot.click("#op-logout");
  await ot.waitForURL(/127\.0\.0\.1:\d+\/login$/, { timeout: 15000 });
  assert.ok(ot.url().startsWith(base), `back at Outpost: ${ot.url()}`);
  await ot.goto(base + "/ui/dashboard");
  assert.match(ot.url(), /\/login$/, "signed out of Outpost");
  await ot.click("[data-testid=sso-corp]");
  await ot.waitForSelector("#op-user", { timeout: 15000 });
  step("OIDC: technician signed in, RP-initiated logout ended both sessions");

  // Customer of tenant acme by verified email domain: sees acme only.
  const oc = await ssoLogin(base, "alice");
  await oc.waitForURL(/\/ui\/dashboard/);
  assert.match(await oc.textContent("[data-testid=whoami]"), /corp:alice@acme\.example\s+customer/);
  assert.equal(await oc.textContent("[data-testid=devices-online]"), "2");
  const ocHtml = await oc.content();
  for (const s of ["globex", "198.51.100.23", "globexsecretd"]) assert.ok(!ocHtml.includes(s), `SSO customer must not see ${s}`);
  r = await oc.goto(base + `/ui/hits/${globexHit.id}`);
  assert.equal(r.status(), 404, "another tenant's hit is not found for the SSO customer");
  step("OIDC: customer of acme sees acme only");

  // A user the mapping does not name is refused with a message.
  const om = await ssoLogin(base, "mallory");
  assert.match(await om.textContent("[data-testid=login-error]"), /not mapped to an Outpost role/);
  await om.screenshot({ path: join(shots, "sso-unmapped.png"), fullPage: true });
  step("OIDC: unmapped user refused");

  // Key rotation at the provider: the next sign-in is verified with the new key.
  const rot = await (await fetch(op.issuer + "/test/rotate", { method: "POST" })).json();
  const ok2 = await ssoLogin(base, "tech1");
  await ok2.waitForURL(/\/ui\/dashboard/);
  assert.match(await ok2.textContent("[data-testid=whoami]"), /technician/);
  const metricsText = await (await fetch(base + "/metrics")).text();
  assert.match(metricsText, /outpost_oidc_jwks_refetches_total\{result="ok"\} 1/, "one JWKS refetch for the new key");
  step(`OIDC: key rotation (${rot.kid}) handled`);

  // ------------------------------------------------------------ Threatsensor views
  // A Sensoroni sensor checks in through the compatible API and is listed beside the devices.
  assert.equal(await sensor(base, "POST", "/api/node", { id: "sensor-01", description: "SPAN port, DC1", role: "sensor", version: "2.4.0", address: "127.0.0.1" }), null);
  await ok2.goto(base + "/ui/devices");
  const srow = ok2.locator("[data-testid=sensors] tr[data-sensor=sensor-01]");
  assert.equal(await srow.count(), 1, "the sensor is listed");
  assert.ok((await srow.locator("[data-testid=sensor-checkin]").textContent()).trim() !== "—", "with its last check-in");
  assert.ok((await ok2.content()).includes("acme-web-01"), "beside the devices");
  await ok2.screenshot({ path: join(shots, "devices.png"), fullPage: true });
  // The PCAP job form: a bad port is refused as the API would; then the job is created.
  await srow.locator("[data-testid=sensor-new-pcap]").click();
  await ok2.waitForURL(/\/ui\/jobs\/new\?sensor=sensor-01/);
  assert.equal(await ok2.textContent("[data-testid=job-target]"), "sensor-01");
  await ok2.fill("#j-src-ip", "192.0.2.10");
  await ok2.fill("#j-src-port", "40000");
  await ok2.fill("#j-dst-ip", "203.0.113.7");
  await ok2.fill("#j-dst-port", "99999");
  await ok2.click("[data-testid=pcap-submit]");
  await ok2.waitForSelector("[data-testid=job-form-error]");
  assert.match(await ok2.textContent("[data-testid=job-form-error]"), /port is 0-65535/);
  await ok2.fill("#j-dst-ip", "not-an-ip");
  await ok2.fill("#j-dst-port", "443");
  await ok2.click("[data-testid=pcap-submit]");
  await ok2.waitForFunction(() => /not an IP address/.test(document.querySelector("[data-testid=job-form-error]")?.textContent || ""));
  await ok2.fill("#j-dst-ip", "203.0.113.7");
  await ok2.selectOption("#j-proto", "tcp");
  await ok2.screenshot({ path: join(shots, "pcap-form.png"), fullPage: true });
  await Promise.all([ok2.waitForURL(/\/ui\/jobs\/\d+$/), ok2.click("[data-testid=pcap-submit]")]);
  const sjob = Number(ok2.url().match(/\/ui\/jobs\/(\d+)$/)[1]);
  assert.equal(await ok2.textContent("[data-testid=job-status]"), "pending");
  // The sensor claims it, uploads its capture and completes it.
  const claimed = await sensor(base, "POST", "/api/node", { id: "sensor-01", role: "sensor", version: "2.4.0" });
  assert.equal(claimed.id, sjob, "the sensor got the job");
  assert.equal(claimed.filter.srcIp, "192.0.2.10");
  assert.equal(claimed.filter.protocol, "tcp");
  const t0 = Math.floor(Date.now() / 1000) - 1800;
  await sensor(base, "POST", `/api/stream?jobId=${sjob}&leaseId=${encodeURIComponent(claimed.leaseId)}`, undefined, samplePcap(t0));
  await sensor(base, "PUT", "/api/job/", { id: sjob, status: 1, leaseId: claimed.leaseId });
  await ok2.waitForFunction(() => document.querySelector("[data-testid=job-status]")?.textContent === "completed", null, { timeout: 15000 });
  await ok2.goto(base + `/ui/jobs/${sjob}`);
  await ok2.click("[data-testid=job-packets]");
  await ok2.waitForURL(/\/packets$/);
  assert.match(await ok2.textContent("[data-testid=packets-read]"), /^4 packets/);
  assert.match(await ok2.textContent("[data-testid=packets-filter]"), /^TCP 192\.0\.2\.10:40000 ↔ 203\.0\.113\.7:443/);
  const flows = await ok2.textContent("[data-testid=flows]");
  assert.ok(flows.includes("192.0.2.10:40000") && flows.includes("203.0.113.7:443") && flows.includes("198.51.100.53:53"), flows);
  assert.equal(await ok2.locator("[data-testid=flows] tbody tr").count(), 2, "two flows");
  const flags = await ok2.locator("[data-testid=packet-flags]").allTextContents();
  assert.ok(flags.includes("SYN") && flags.some((f) => f.includes("SYN") && f.includes("ACK")), `decoded TCP flags: ${flags}`);
  await ok2.screenshot({ path: join(shots, "packets.png"), fullPage: true });
  const dl = await ok2.context().request.get(base + `/api/v1/jobs/${sjob}/result`);
  assert.equal(dl.status(), 200);
  assert.equal((await dl.body()).readUInt32LE(0), 0xa1b2c3d4, "the download is the pcap");
  // The customer of acme (the sensors' tenant here) sees the sensor; globex's would not.
  await oc.goto(base + "/ui/devices");
  assert.equal(await oc.locator("[data-testid=sensors] tr[data-sensor=sensor-01]").count(), 1);
  step("Threatsensor: sensors list, PCAP job form, packet view and download ok");
}

try {
  await main();
  step(`PASS (screenshots in ${shots})`);
} catch (e) {
  failed = true;
  console.error("[ui-e2e] FAIL:", e && e.stack ? e.stack : e);
  try {
    const log = readFileSync(serverLog, "utf8").split("\n");
    console.error("[ui-e2e] last server log lines:\n" + log.slice(-40).join("\n"));
  } catch {
    /* no log */
  }
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) server.kill("SIGTERM");
  if (op) op.child.kill("SIGTERM");
  await sleep(300);
  rmSync(data, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
