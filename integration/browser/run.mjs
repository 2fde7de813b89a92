// Browser test: headless Debian Chromium (/usr/bin/chromium) driven through playwright-core's DevTools
// protocol client (no browser download; playwright-core only speaks to the given executable).
//
//   CASUSREGIE_API=http://127.0.0.1:8000 PORTAL_URL=http://127.0.0.1:8001 CASUSREGIE_TOKEN=<procesregisseur> node run.mjs
//
// 1. The portal (portal/, served by any static server on PORTAL_URL, a second origin) talks to the API
//    cross-origin and writes what it could read into its DOM; this script asserts that DOM.
// 2. The server's /docs page is loaded with every request outside the server's origin aborted, and must
//    render the operations of the server's own /openapi.json.
// Prints a summary; exits 1 on any failed check.

import { chromium } from "playwright-core";

const API = required("CASUSREGIE_API").replace(/\/+$/, "");
const PORTAL = required("PORTAL_URL").replace(/\/+$/, "");
const TOKEN = required("CASUSREGIE_TOKEN");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const MAX_BODY = Number(process.env.CASUSREGIE_MAX_BODY_BYTES || 1048576);
const apiOrigin = new URL(API).origin;

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

const results = [];
function check(name, ok, detail = "") {
  results.push({ name, ok: Boolean(ok), detail });
  return Boolean(ok);
}
const show = (v) => (v === undefined ? "(absent)" : JSON.stringify(v));
const PROBLEM_JSON = /^application\/problem\+json\b/;
const REQUEST_ID = /^[0-9a-f]{32}$/; // the pattern the contract declares for X-Request-ID

/** Console and page errors of a page, for the failure report (CORS refusals show up there). */
function listen(page, log) {
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") log.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => log.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
}

/** What the server sends outside the browser, to tell "not sent" from "sent but not exposed by CORS". */
async function headerDiagnosis(header) {
  try {
    const r = await fetch(`${API}/v1/cases?limit=1`, { headers: { Authorization: `Bearer ${TOKEN}`, Origin: PORTAL } });
    await r.arrayBuffer();
    return `outside the browser the server sends ${header}: ${show(r.headers.get(header) ?? undefined)}; ` +
      `Access-Control-Expose-Headers: ${show(r.headers.get("access-control-expose-headers") ?? undefined)}`;
  } catch (err) {
    return `diagnosis failed: ${err}`;
  }
}

/** The server's own OpenAPI document (what /docs renders, and whose info.version API-Version must be). */
async function serverSpec() {
  const response = await fetch(`${API}/openapi.json`);
  if (!response.ok) throw new Error(`GET /openapi.json: HTTP ${response.status}`);
  return response.json();
}

async function portal(browser) {
  const contract = (await serverSpec()).info?.version;
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = [];
  listen(page, log);
  const fragment = new URLSearchParams({ api: API, token: TOKEN, max_body: String(MAX_BODY) });
  await page.goto(`${PORTAL}/index.html#${fragment}`);
  await page.waitForSelector("body[data-state=done], body[data-state=error]", { timeout: 60_000 });
  const state = await page.getAttribute("body", "data-state");
  const status = await page.textContent("#status");
  check("portal page ran to the end", state === "done", `${state}: ${status}`);

  const rows = await page.$$eval("tr[data-finding]", (trs) =>
    trs.map((tr) => [tr.dataset.finding, tr.querySelector("td.value")?.textContent ?? ""]));
  const f = Object.fromEntries(rows);
  const listed = await page.locator("#cases li").count();
  await context.close();

  check("portal is on another origin than the API", f["portal.origin"] && f["portal.origin"] !== f["api.origin"],
    `${f["portal.origin"]} vs ${f["api.origin"]}`);

  // Lists cases.
  check("GET /v1/cases: 200 with cases, listed in the DOM",
    f["list.status"] === "200" && Number(f["list.count"]) > 0 && listed === Number(f["list.count"]),
    `status ${show(f["list.status"])}, count ${show(f["list.count"])}, <li> ${listed}`);

  // Creates a case: Location and ETag readable.
  check("POST /v1/cases: 201, Location readable and names the case",
    f["create.status"] === "201" && f["create.body.id"] && (f["create.header.location"] ?? "").endsWith(`/v1/cases/${f["create.body.id"]}`),
    `status ${show(f["create.status"])}, Location ${show(f["create.header.location"])}, id ${show(f["create.body.id"])}`);

  // Reads the ETag and fires a transition with If-Match.
  check("GET /v1/cases/{id}: ETag readable and equal to the version",
    f["read.status"] === "200" && f["read.header.etag"] === `"${f["read.body.version"]}"`,
    `status ${show(f["read.status"])}, ETag ${show(f["read.header.etag"])}, version ${show(f["read.body.version"])}`);
  check("POST …/transitions with If-Match: 200, verkenning, next ETag",
    f["transition.status"] === "200" && f["transition.body.state"] === "verkenning" &&
      f["transition.header.etag"] === `"${Number(f["read.body.version"]) + 1}"`,
    `status ${show(f["transition.status"])}, state ${show(f["transition.body.state"])}, ETag ${show(f["transition.header.etag"])}` +
      (f["transition.network_error"] ? `, ${f["transition.network_error"]}` : ""));

  // Problems the portal must be able to read: 412, 413, 401.
  const problem = (prefix, status, slug, extra = true, extraDetail = "") =>
    check(`${prefix}: ${status} problem+json readable (${slug})`,
      f[`${prefix}.status`] === String(status) && PROBLEM_JSON.test(f[`${prefix}.content_type`] ?? "") &&
        f[`${prefix}.body.type`] === `urn:casusregie:problem:${slug}` && f[`${prefix}.body.status`] === String(status) &&
        f[`${prefix}.body.request_id`] === f[`${prefix}.header.x-request-id`] && extra,
      `status ${show(f[`${prefix}.status`])}, content-type ${show(f[`${prefix}.content_type`])}, ` +
        `type ${show(f[`${prefix}.body.type`])}, request_id ${show(f[`${prefix}.body.request_id`])} / ` +
        `X-Request-ID ${show(f[`${prefix}.header.x-request-id`])}` +
        (f[`${prefix}.network_error`] ? `, ${f[`${prefix}.network_error`]}` : "") + extraDetail);
  problem("stale", 412, "precondition-failed");
  problem("too_large", 413, "payload-too-large", Number(f["too_large.sent_bytes"]) > MAX_BODY,
    `, sent ${show(f["too_large.sent_bytes"])} bytes`);
  problem("unauthorized", 401, "unauthorized", (f["unauthorized.header.www-authenticate"] ?? "").startsWith("Bearer"),
    `, WWW-Authenticate ${show(f["unauthorized.header.www-authenticate"])}`);

  // The monitor report as CSV, readable across origins.
  check("GET /v1/reports/monitor with Accept: text/csv: 200, CSV readable",
    f["report_csv.status"] === "200" && (f["report_csv.content_type"] ?? "").startsWith("text/csv") &&
      (f["report_csv.body_text"] ?? "").startsWith("code,label,unit,from,to,as_of,"),
    `status ${show(f["report_csv.status"])}, content-type ${show(f["report_csv.content_type"])}, ` +
      `body ${show((f["report_csv.body_text"] ?? "").slice(0, 80))}`);

  // Headers on every response the portal got.
  const prefixes = Object.keys(f).filter((k) => k.endsWith(".status") && !k.includes(".body.")).map((k) => k.slice(0, -7));
  const without = (header) => prefixes.filter((p) => !f[`${p}.header.${header}`]);
  const noRequestId = without("x-request-id");
  const requestIds = prefixes.map((p) => f[`${p}.header.x-request-id`]).filter(Boolean);
  check(`X-Request-ID readable on every response (${prefixes.length}), 32 hex digits`,
    prefixes.length >= 7 && noRequestId.length === 0 && requestIds.every((id) => REQUEST_ID.test(id)),
    `missing on ${show(noRequestId)}; values ${show(requestIds.slice(0, 3))}`);
  const noApiVersion = without("api-version");
  const apiVersions = [...new Set(prefixes.map((p) => f[`${p}.header.api-version`]).filter(Boolean))];
  check(`API-Version readable on every response (${prefixes.length}), equal to /openapi.json info.version ${show(contract)}`,
    prefixes.length >= 7 && noApiVersion.length === 0 && apiVersions.length === 1 && apiVersions[0] === contract,
    noApiVersion.length ? `missing on ${show(noApiVersion)}; ${await headerDiagnosis("API-Version")}`
      : `values ${show(apiVersions)}`);

  if (results.some((r) => !r.ok)) {
    console.log("portal findings:");
    for (const [k, v] of rows) console.log(`    ${k} = ${v.length > 160 ? `${v.slice(0, 160)}…` : v}`);
    for (const line of log) console.log(`    ${line}`);
  }
}

async function docs(browser) {
  // The operations the server publishes, to hold the rendered page against.
  const spec = await serverSpec();
  const METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
  const operations = Object.values(spec.paths).reduce(
    (n, item) => n + Object.keys(item).filter((m) => METHODS.has(m)).length, 0);

  const context = await browser.newContext();
  const outside = [];
  // Network limited to the server: anything else is aborted as if offline (and recorded).
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === apiOrigin) return route.continue();
    outside.push(url);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  const log = [];
  listen(page, log);
  const response = await page.goto(`${API}/docs`, { waitUntil: "load" });
  let rendered = 0;
  try {
    await page.waitForSelector("#swagger-ui .opblock", { timeout: 30_000 });
    await page.waitForFunction((n) => document.querySelectorAll("#swagger-ui .opblock").length >= n, operations,
      { timeout: 10_000 });
  } catch {
    // judged below
  }
  rendered = await page.locator("#swagger-ui .opblock").count();
  const paths = await page.$$eval("#swagger-ui .opblock-summary-path", (els) =>
    els.map((e) => e.getAttribute("data-path") || e.textContent || ""));
  const title = (await page.locator("#swagger-ui .info .title").first().textContent({ timeout: 5_000 }).catch(() => "")) ?? "";
  const styled = await page.evaluate(() =>
    [...document.styleSheets].some((s) => (s.href || "").includes("/docs-assets/") && s.cssRules.length > 100));
  const authorize = await page.locator("#swagger-ui button.authorize").count();
  await context.close();

  check("/docs answers 200", response?.status() === 200, `HTTP ${response?.status()}`);
  check("/docs requests nothing outside the server (no CDN)", outside.length === 0, `asked for ${show(outside)}`);
  check(`/docs renders every operation of /openapi.json (${operations})`, rendered === operations && operations > 0,
    `${rendered} .opblock rendered`);
  check("/docs shows the case transitions operation and the API title",
    paths.some((p) => p.replace(/\u200b/g, "") === "/v1/cases/{case_id}/transitions") && title.includes("Casusregie"),
    `title ${show(title)}, ${paths.length} paths`);
  check("/docs is styled by the packaged Swagger UI CSS and offers Authorize", styled && authorize > 0,
    `stylesheet ${styled}, authorize buttons ${authorize}`);
  if (results.some((r) => !r.ok && r.name.startsWith("/docs"))) for (const line of log) console.log(`    ${line}`);
}

const started = Date.now();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // Root in a container: no sandbox; no shared-memory assumption.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
  timeout: 60_000,
});
console.log(`browser: ${browser.version()} (${CHROMIUM}); portal ${PORTAL} → API ${API}`);
try {
  for (const part of [portal, docs]) {
    try {
      await part(browser);
    } catch (err) {
      check(`${part.name} ran without an exception`, false, err?.stack ?? String(err));
    }
  }
} finally {
  await browser.close();
}

const failed = results.filter((r) => !r.ok);
for (const r of results) console.log(`${r.ok ? "  ok  " : "  FAIL"} ${r.name}${!r.ok && r.detail ? `\n         ${r.detail}` : ""}`);
console.log(`browser: ${results.length - failed.length}/${results.length} checks passed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = failed.length === 0 ? 0 : 1;
