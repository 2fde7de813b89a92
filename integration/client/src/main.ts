// Integration client: drives a running Casusregie server through openapi-fetch, typed by the types that
// openapi-typescript generates from the committed openapi/openapi.json (src/generated/api.d.ts, not committed).
//
//   CASUSREGIE_API=http://127.0.0.1:8000 CASUSREGIE_TOKEN=<procesregisseur token> npx tsx src/main.ts
//
// Walks a jeugdgroep case up the 7-stappenmodel with If-Match on every write, checks a stale If-Match gives
// 412 problem+json, posts a signal twice under one Idempotency-Key (the second is a replay), reads the monitor
// report as JSON and as CSV, and checks the API-Version header on every response (equal to info.version of the
// OpenAPI document the types come from: CASUSREGIE_OPENAPI, default ../../openapi/openapi.json). Prints a
// summary; exits 1 on any failed check.
//
// Only paths and methods are relied on (openapi-fetch keys on them), never operationIds.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/api";

type Problem = components["schemas"]["Problem"];
/** The contract's trigger and state codes (enums where the document lists them, else string). */
type State = components["schemas"]["CaseOut"]["state"];

// ---------------------------------------------------------------------------------------------- checks

interface Result {
  ok: boolean;
  name: string;
  detail: string;
}

const results: Result[] = [];

/** Stops the run: a later step cannot go on without what this one should have produced. */
class Fatal extends Error {}

function check(name: string, ok: boolean, detail = ""): boolean {
  results.push({ ok, name, detail });
  return ok;
}

function must(name: string, ok: boolean, detail = ""): void {
  if (!check(name, ok, detail)) throw new Fatal(name);
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

/** A problem+json answer with the expected status and problem type. */
function checkProblem(
  name: string,
  response: Response,
  error: Problem | undefined,
  status: number,
  type: string,
): void {
  const contentType = response.headers.get("content-type") ?? "";
  check(
    name,
    response.status === status &&
      contentType.startsWith("application/problem+json") &&
      error !== undefined &&
      error.status === status &&
      error.type === type &&
      error.title.length > 0 &&
      typeof error.request_id === "string" &&
      error.request_id === response.headers.get("X-Request-ID"),
    `HTTP ${response.status}, content-type ${show(contentType)}, body ${show(error)}`,
  );
}

function etagOf(step: string, response: Response): string {
  const etag = response.headers.get("ETag");
  if (etag === null) {
    check(`${step}: ETag header present`, false, `HTTP ${response.status} without ETag`);
    throw new Fatal(step);
  }
  return etag;
}

// ---------------------------------------------------------------------------------------------- client

const baseUrl = requiredEnv("CASUSREGIE_API").replace(/\/+$/, "");
const token = requiredEnv("CASUSREGIE_TOKEN");

interface Seen {
  request: string;
  status: number;
  apiVersion: string | null;
}
const seen: Seen[] = [];

const recorder: Middleware = {
  onResponse({ request, response }) {
    seen.push({
      request: `${request.method} ${new URL(request.url).pathname}`,
      status: response.status,
      apiVersion: response.headers.get("API-Version"),
    });
    return undefined;
  },
};

const client = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${token}`, "X-Audit-Toelichting": "integratietest (openapi-fetch)" },
});
client.use(recorder);

// ---------------------------------------------------------------------------------------------- the ladder

// A transition request without its reason, one variant per trigger: the spec types `data` per trigger, so a
// step with data its trigger does not take does not compile.
type TransitionRequest = components["schemas"]["TransitionRequest"];
type WithoutReason<T> = T extends unknown ? Omit<T, "reason"> : never;

interface Step {
  fire: WithoutReason<TransitionRequest>;
  from: State;
  to: State;
}

const CASE_TYPE = "jeugdgroep";
const FIRST_STATE: State = "signalering";
const today = new Date().toISOString().slice(0, 10);
const STEPS: Step[] = [
  { fire: { trigger: "start_verkenning", data: {} }, from: "signalering", to: "verkenning" },
  {
    fire: {
      trigger: "namenlijst_opstellen",
      data: { noodzaak: "Toename incidenten rond het winkelcentrum (integratietest, fictief)" },
    },
    from: "verkenning",
    to: "groepsscan",
  },
  {
    fire: { trigger: "groepsscan_afronden", data: { groepsscan_datum: today } },
    from: "groepsscan",
    to: "groepsduiding",
  },
];

async function checkWorkflowPublishesSteps(): Promise<void> {
  const { data, error, response } = await client.GET("/v1/workflows/{case_type}", {
    params: { path: { case_type: CASE_TYPE } },
  });
  must("GET /v1/workflows/jeugdgroep answers 200", data !== undefined, `HTTP ${response.status} ${show(error)}`);
  const published: unknown = data?.transitions;
  const transitions = Array.isArray(published) ? published.filter(isRecord) : [];
  for (const step of STEPS) {
    const found = transitions.some((t) => t.trigger === step.fire.trigger && t.from === step.from && t.to === step.to);
    check(`workflow publishes ${step.fire.trigger}: ${step.from} → ${step.to}`, found);
  }
}

async function walkCase(): Promise<void> {
  const suffix = randomUUID().slice(0, 8);
  const created = await client.POST("/v1/cases", {
    body: {
      case_type: CASE_TYPE,
      title: `Integratietest jeugdgroep ${suffix} (fictief)`,
      subjects: [{ type: "groep", name: `Groep Integratie ${suffix}`, area: "Centrum" }],
    },
  });
  must(
    "POST /v1/cases creates a jeugdgroep case (201)",
    created.response.status === 201 && created.data !== undefined,
    `HTTP ${created.response.status} ${show(created.error)}`,
  );
  if (created.data === undefined) return;
  const caseId = created.data.id;
  let etag = etagOf("POST /v1/cases", created.response);
  let version = created.data.version;
  check(`new case starts in ${FIRST_STATE}`, created.data.state === FIRST_STATE, `state ${created.data.state}`);
  check("ETag of the new case is its version", etag === `"${version}"`, `ETag ${etag}, version ${version}`);
  const location = created.response.headers.get("Location") ?? "";
  check("Location names the new case", location.endsWith(`/v1/cases/${caseId}`), `Location ${show(location)}`);

  let staleEtag: string | null = null;
  for (const [index, step] of STEPS.entries()) {
    // What this caller may fire now, and which data it needs (the per-case view of the ladder).
    const available = await client.GET("/v1/cases/{case_id}/transitions", {
      params: { path: { case_id: caseId } },
    });
    must(`GET …/transitions before ${step.fire.trigger}`, available.data !== undefined, show(available.error));
    const offer = (available.data ?? []).find((t) => t.trigger === step.fire.trigger);
    check(
      `${step.fire.trigger} is offered in ${step.from} and needs ${show(Object.keys(step.fire.data ?? {}))}`,
      offer !== undefined && offer.to === step.to && sameSet(offer.required_data, Object.keys(step.fire.data ?? {})),
      `offered ${show(available.data?.map((t) => [t.trigger, t.to, t.required_data]))}`,
    );

    if (index === 1 && staleEtag !== null) {
      // The same, valid trigger with the ETag of one version ago: 412, and nothing changes.
      const stale = await client.POST("/v1/cases/{case_id}/transitions", {
        params: { path: { case_id: caseId }, header: { "If-Match": staleEtag } },
        body: { ...step.fire, reason: "integratietest: verouderde versie" },
      });
      checkProblem(
        `stale If-Match ${staleEtag} (case at ${etag}) gives 412 problem+json`,
        stale.response,
        stale.error,
        412,
        "urn:casusregie:problem:precondition-failed",
      );
      const after = await client.GET("/v1/cases/{case_id}", { params: { path: { case_id: caseId } } });
      check(
        "after the 412 the case is unchanged",
        after.data !== undefined &&
          after.data.state === step.from &&
          after.data.version === version &&
          after.response.headers.get("ETag") === etag,
        `state ${after.data?.state}, version ${after.data?.version}, ETag ${after.response.headers.get("ETag")}`,
      );
    }

    const fired = await client.POST("/v1/cases/{case_id}/transitions", {
      params: { path: { case_id: caseId }, header: { "If-Match": etag } },
      body: { ...step.fire, reason: `integratietest: stap ${index + 1}` },
    });
    must(
      `${step.fire.trigger} with If-Match ${etag} answers 200`,
      fired.response.status === 200 && fired.data !== undefined,
      `HTTP ${fired.response.status} ${show(fired.error)}`,
    );
    if (fired.data === undefined) return;
    const nextEtag = etagOf(step.fire.trigger, fired.response);
    check(
      `${step.fire.trigger}: ${step.from} → ${fired.data.state}, version ${version} → ${fired.data.version}`,
      fired.data.state === step.to && fired.data.version === version + 1 && nextEtag === `"${fired.data.version}"`,
      `expected ${step.to} at version ${version + 1}; ETag ${nextEtag}`,
    );

    const read = await client.GET("/v1/cases/{case_id}", { params: { path: { case_id: caseId } } });
    check(
      `GET case after ${step.fire.trigger}: ${step.to}, ETag ${nextEtag}`,
      read.data !== undefined && read.data.state === step.to && read.response.headers.get("ETag") === nextEtag,
      `state ${read.data?.state}, ETag ${read.response.headers.get("ETag")}`,
    );

    staleEtag = etag;
    etag = nextEtag;
    version = fired.data.version;
  }

  const history = await client.GET("/v1/cases/{case_id}/history", { params: { path: { case_id: caseId } } });
  const fired = (history.data?.items ?? [])
    .filter((entry) => entry.trigger !== null && STEPS.some((s) => s.fire.trigger === entry.trigger))
    .sort((a, b) => a.version - b.version)
    .map((entry) => `${entry.trigger}:${entry.from_state}→${entry.to_state}`);
  const expected = STEPS.map((s) => `${s.fire.trigger}:${s.from}→${s.to}`);
  check(
    "history records the three transitions once each, in order (not the refused one)",
    show(fired) === show(expected),
    `history ${show(fired)}`,
  );
}

async function postSignalTwice(): Promise<void> {
  const key = `integratietest-${randomUUID()}`;
  const body: components["schemas"]["SignalCreate"] = {
    case_type_hint: "jeugdgroep",
    subject: { type: "groep", name: "Groep Signaal Integratie", area: "Noordwest" },
    description: "Groep jongeren blokkeert de ingang van het winkelcentrum (integratietest, fictief)",
    category: "veiligheid",
    external_ref: `itest-${key.slice(-12)}`,
  };
  const first = await client.POST("/v1/signals", { params: { header: { "Idempotency-Key": key } }, body });
  must(
    "POST /v1/signals stores the signal (201)",
    first.response.status === 201 && first.data !== undefined,
    `HTTP ${first.response.status} ${show(first.error)}`,
  );
  check(
    "first answer is not a replay",
    first.response.headers.get("Idempotent-Replayed") !== "true",
    `Idempotent-Replayed ${show(first.response.headers.get("Idempotent-Replayed"))}`,
  );

  const second = await client.POST("/v1/signals", { params: { header: { "Idempotency-Key": key } }, body });
  check(
    "same Idempotency-Key and body: replay with the same id",
    second.response.status === first.response.status &&
      second.data !== undefined &&
      second.data.id === first.data?.id &&
      second.response.headers.get("Idempotent-Replayed") === "true",
    `HTTP ${second.response.status}, id ${second.data?.id} (first ${first.data?.id}), ` +
      `Idempotent-Replayed ${show(second.response.headers.get("Idempotent-Replayed"))}`,
  );
  check(
    "replay has the first answer's Location",
    second.response.headers.get("Location") === first.response.headers.get("Location") &&
      (first.response.headers.get("Location") ?? "").endsWith(`/v1/signals/${first.data?.id}`),
    `${show(first.response.headers.get("Location"))} / ${show(second.response.headers.get("Location"))}`,
  );

  const other = await client.POST("/v1/signals", {
    params: { header: { "Idempotency-Key": key } },
    body: { ...body, description: `${body.description} (ander verhaal)` },
  });
  check(
    "same Idempotency-Key, another body: 422 problem+json",
    other.response.status === 422 &&
      (other.response.headers.get("content-type") ?? "").startsWith("application/problem+json") &&
      other.error !== undefined &&
      other.error.status === 422,
    `HTTP ${other.response.status} ${show(other.error)}`,
  );
}

type MonitorReport = components["schemas"]["MonitorReport"];
type IndicatorCode = MonitorReport["indicators"][number]["code"];
// Every indicator the contract lists: a code missing here, or one the contract does not have, does not compile.
const INDICATORS: Record<IndicatorCode, true> = {
  jeugdgroepen_in_beeld: true,
  unieke_subjecten_in_beeld: true,
  plannen_van_aanpak_jeugdgroepen: true,
  jeugd_opgeschaald_pga: true,
  woonoverlast_aangepakt: true,
  ave_escalaties: true,
  signalen_radicalisering: true,
  beheersmaatregelen_ex_gedetineerden: true,
  signalen_per_bron: true,
  doorlooptijd_mediaan_dagen: true,
  doorlooptijd_p90_dagen: true,
  escalaties: true,
  uitstroom: true,
  stagnaties: true,
  acties_over_termijn: true,
};

/** The council's monitor report: JSON typed by the contract, the same rows as CSV, a bad period refused. */
async function readMonitorReport(): Promise<void> {
  const year = new Date().getUTCFullYear();
  const period = { from: `${year}-01-01`, to: `${year}-12-31` };
  const report = await client.GET("/v1/reports/monitor", { params: { query: period } });
  // The contract offers JSON or CSV for 200; without an Accept header the answer is JSON.
  const body = report.data;
  must(
    "GET /v1/reports/monitor answers 200 with JSON for the procesregisseur",
    report.response.status === 200 && typeof body === "object",
    `HTTP ${report.response.status} ${show(report.error)}`,
  );
  const indicators = typeof body === "object" ? body.indicators : [];
  check(
    "the report has every indicator of the contract, once each for one period",
    sameSet(indicators.map((i) => i.code), Object.keys(INDICATORS)),
    show(indicators.map((i) => i.code)),
  );
  // Counts (unit aantal) and the number of stays behind a duration: 0, 5 or more, or "<5".
  const counts = indicators.flatMap((i) =>
    i.unit === "aantal" ? [i.value, ...i.breakdown.map((c) => c.value)] : i.breakdown.map((c) => c.count),
  );
  check(
    'no count from 1 to 4 is shown: those are "<5"',
    counts.every((v) => v === "<5" || (typeof v === "number" && Number.isInteger(v) && (v === 0 || v >= 5))),
    show(counts),
  );
  const cells = indicators.reduce((n, i) => n + 1 + i.breakdown.length, 0);
  const csv = await fetch(`${baseUrl}/v1/reports/monitor?from=${period.from}&to=${period.to}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "text/csv" },
  });
  const lines = (await csv.text()).split("\r\n").filter((line) => line !== "");
  check(
    "Accept: text/csv gives the same rows (a header, then one per figure and cell)",
    csv.status === 200 && (csv.headers.get("content-type") ?? "").startsWith("text/csv") &&
      lines[0]?.startsWith("code,label,unit,from,to,as_of") === true && lines.length === cells + 1,
    `HTTP ${csv.status}, ${lines.length} lines for ${cells} figures and cells`,
  );
  const reversed = await client.GET("/v1/reports/monitor", { params: { query: { from: period.to, to: period.from } } });
  checkProblem(
    "a period ending before it starts: 422 problem+json",
    reversed.response,
    reversed.error,
    422,
    "urn:casusregie:problem:validation-error",
  );
}

/** info.version of the OpenAPI document the types were generated from. */
function contractVersion(): string | null {
  const path = process.env.CASUSREGIE_OPENAPI ?? new URL("../../../openapi/openapi.json", import.meta.url);
  const document: unknown = JSON.parse(readFileSync(path, "utf8"));
  return isRecord(document) && isRecord(document.info) && typeof document.info.version === "string"
    ? document.info.version
    : null;
}

function checkApiVersionEverywhere(): void {
  const missing = seen.filter((s) => s.apiVersion === null || s.apiVersion === "");
  const versions = [...new Set(seen.map((s) => s.apiVersion).filter((v) => v !== null && v !== ""))];
  const contract = contractVersion();
  check(
    `API-Version on every response (${seen.length} responses), equal to openapi.json info.version ${show(contract)}`,
    seen.length > 0 && missing.length === 0 && versions.length === 1 && versions[0] === contract,
    missing.length > 0
      ? `missing on ${missing.length}: ${show(missing.slice(0, 3).map((s) => `${s.request} → ${s.status}`))}`
      : `values ${show(versions)}`,
  );
}

async function main(): Promise<number> {
  const started = Date.now();
  for (const part of [checkWorkflowPublishesSteps, walkCase, postSignalTwice, readMonitorReport]) {
    try {
      await part();
    } catch (err) {
      if (!(err instanceof Fatal)) {
        check(`${part.name} ran without an exception`, false, err instanceof Error ? err.stack ?? err.message : show(err));
      }
    }
  }
  checkApiVersionEverywhere();

  const failed = results.filter((r) => !r.ok);
  for (const r of results) {
    console.log(`${r.ok ? "  ok  " : "  FAIL"} ${r.name}${!r.ok && r.detail ? `\n         ${r.detail}` : ""}`);
  }
  console.log(
    `client: ${results.length - failed.length}/${results.length} checks passed, ${seen.length} requests to ${baseUrl}, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
