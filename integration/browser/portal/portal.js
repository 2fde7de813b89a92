// The portal's side of the browser test. It only observes: every finding goes into the DOM as
// <tr data-finding="name"><td>name</td><td class="value">value</td></tr>, and run.mjs judges them.
// When done, <body data-state="done"> (or "error", with the message in #status).
"use strict";

const params = new URLSearchParams(location.hash.slice(1));
const API = (params.get("api") || "").replace(/\/+$/, "");
const TOKEN = params.get("token") || "";
const MAX_BODY = Number(params.get("max_body") || 1048576);

function record(name, value) {
  const row = document.createElement("tr");
  row.dataset.finding = name;
  const label = document.createElement("td");
  label.textContent = name;
  const cell = document.createElement("td");
  cell.className = "value";
  cell.textContent = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  row.append(label, cell);
  document.getElementById("findings").append(row);
}

/** fetch, recording status, the headers a portal needs and the body, under `prefix.`. */
async function call(prefix, path, { method = "GET", token = TOKEN, headers = {}, body } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${token}`, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch (err) {
    record(`${prefix}.network_error`, String(err));
    return { response: null, json: null };
  }
  record(`${prefix}.status`, String(response.status));
  record(`${prefix}.content_type`, response.headers.get("Content-Type"));
  for (const header of ["ETag", "Location", "X-Request-ID", "API-Version", "WWW-Authenticate", "Idempotent-Replayed"]) {
    const value = response.headers.get(header);
    if (value !== null) record(`${prefix}.header.${header.toLowerCase()}`, value);
  }
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    record(`${prefix}.body_text`, text.slice(0, 300));
  }
  return { response, json };
}

function recordProblem(prefix, json) {
  if (json === null || typeof json !== "object") return;
  for (const field of ["type", "title", "status", "detail", "request_id"]) {
    if (field in json) record(`${prefix}.body.${field}`, String(json[field]));
  }
}

async function main() {
  if (!API || !TOKEN) throw new Error("fragment must name api and token");
  record("portal.origin", location.origin);
  record("api.origin", new URL(API).origin);

  // 1. List cases and show them.
  const list = await call("list", "/v1/cases?limit=20");
  if (list.json && Array.isArray(list.json.items)) {
    record("list.count", String(list.json.items.length));
    const ul = document.getElementById("cases");
    for (const item of list.json.items) {
      const li = document.createElement("li");
      li.dataset.caseId = item.id;
      li.textContent = `${item.reference} — ${item.case_type} — ${item.state} — ${item.title}`;
      ul.append(li);
    }
  }

  // 2. Open a case (a POST that creates something: Location, ETag).
  const created = await call("create", "/v1/cases", {
    method: "POST",
    body: {
      case_type: "jeugdgroep",
      title: "Portaaltest jeugdgroep (fictief)",
      subjects: [{ type: "groep", name: `Groep Portaal ${Date.now()}`, area: "Centrum" }],
    },
  });
  if (!created.json || !created.json.id) throw new Error("case not created");
  const caseId = created.json.id;
  record("create.body.id", caseId);
  record("create.body.state", created.json.state);

  // 3. Read it: the ETag a portal must send back.
  const read = await call("read", `/v1/cases/${caseId}`);
  const etag = read.response ? read.response.headers.get("ETag") : null;
  if (read.json) record("read.body.version", String(read.json.version));
  if (etag === null) throw new Error("no readable ETag on GET /v1/cases/{id}");

  // 4. Fire a transition with If-Match (preflighted: If-Match is not a simple header).
  const fired = await call("transition", `/v1/cases/${caseId}/transitions`, {
    method: "POST",
    headers: { "If-Match": etag },
    body: { trigger: "start_verkenning", reason: "portaaltest: verkenning starten" },
  });
  if (fired.json) {
    record("transition.body.state", fired.json.state);
    record("transition.body.version", String(fired.json.version));
  }

  // 5. The same If-Match again is stale now: 412 problem+json.
  const stale = await call("stale", `/v1/cases/${caseId}/transitions`, {
    method: "POST",
    headers: { "If-Match": etag },
    body: { trigger: "geen_groepsaanpak", reason: "portaaltest: verouderde versie" },
  });
  recordProblem("stale", stale.json);

  // 6. A body over the limit: 413 problem+json (PATCH with the current ETag, as every case write).
  const current = fired.response ? fired.response.headers.get("ETag") || etag : etag;
  const oversized = JSON.stringify({ summary: "x".repeat(MAX_BODY + 1024) });
  record("too_large.sent_bytes", String(new TextEncoder().encode(oversized).length));
  const tooLarge = await call("too_large", `/v1/cases/${caseId}`, {
    method: "PATCH",
    headers: { "If-Match": current },
    body: oversized,
  });
  recordProblem("too_large", tooLarge.json);

  // 7. A bad token: 401 problem+json with WWW-Authenticate.
  const unauthorized = await call("unauthorized", "/v1/cases", { token: "dit-is-geen-token" });
  recordProblem("unauthorized", unauthorized.json);

  // 8. The council's monitor report as CSV, read across origins (a download link would use the same text).
  const year = new Date().getUTCFullYear();
  await call("report_csv", `/v1/reports/monitor?from=${year}-01-01&to=${year}-12-31`, {
    headers: { Accept: "text/csv" },
  });
}

main().then(
  () => {
    document.getElementById("status").textContent = "klaar";
    document.body.dataset.state = "done";
  },
  (err) => {
    document.getElementById("status").textContent = `fout: ${err && err.stack ? err.stack : err}`;
    document.body.dataset.state = "error";
  },
);
