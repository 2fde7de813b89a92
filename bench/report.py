"""results.json -> Markdown tables (summary.md): the audit ledger under load and its targets (issue 11), each
figure beside the lean raw baseline R0 of the same round, and the issue-6 tables for what was measured."""

from __future__ import annotations

from typing import Any


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join("" if c is None else str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows), ""]


def _cpu(r: dict[str, Any]) -> str:
    text = ", ".join(f"{k} {v}" for k, v in r.get("cpu_utilisation", {}).items())
    if r.get("api_cpu_per_process"):
        text += " (api per process " + " / ".join(str(v) for v in r["api_cpu_per_process"]) + ")"
    return text


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if not a or not b or not b.get("rate_per_s"):
        return "-"
    return f"{a['rate_per_s'] / b['rate_per_s'] * 100:.0f}%"


def _rounds(results: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return sorted((int(k.split("=")[1]), v) for k, v in results.items() if k.startswith("workers="))


def targets(results: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for w, rnd in _rounds(results):
        for page in ("first", "deep"):
            for suffix, clients in (("", "32 clients"), ("_1client", "1 client")):
                r = rnd.get(f"list_{page}_api{suffix}")
                if r:
                    rows.append([f"case list p99 < 50 ms, {page} page, {clients} ({w} worker{'s' if w > 1 else ''})",
                                 f"p99 {r['p99_ms']} ms", "met" if r["p99_ms"] < 50 else "NOT met"])
        batch = rnd.get("signals_batch_api")
        if batch:
            rows.append([f"signal batch >= 2 000 signals/s ({w} worker{'s' if w > 1 else ''})",
                         f"{batch['signals_per_s']} signals/s", "met" if batch["signals_per_s"] >= 2000 else "NOT met"])
        elif "signals" in rnd:
            rows.append([f"signal batch >= 2 000 signals/s ({w} worker{'s' if w > 1 else ''})", rnd["signals"], "-"])
    audit = results.get("audit", {})
    if "verify_cli" in audit:
        rate = audit["verify_cli"]["entries_per_s"]
        rows.append(["audit verification >= 200 000 entries/s (casusregie verify-audit)", f"{rate:,} entries/s",
                     "met" if rate >= 200_000 else "NOT met"])
    memory = results.get("memory", {})
    if memory:
        ok = all(w["within_10pct"] for w in memory["workers"])
        worst = max(w["max_over_start_pct"] for w in memory["workers"])
        rows.append([f"RSS per worker flat within 10% over {memory['load']['requests']:,} requests",
                     f"max +{worst}% over the start", "met" if ok else "NOT met"])
    return rows



# --- issue 11: the audit ledger under load ------------------------------------------------------------------

API_LOADS = (("transitions_api", "API transitions"), ("reads_api", "API GET /v1/cases/{id}"),
             ("list_first_api", "API list, first page"), ("list_deep_api", "API list, deep page"))
RAW_LOADS = (("transitions_raw_R0", "R0 raw lean transition"), ("transitions_raw_R1", "R1 raw app statements"),
             ("transitions_raw_R2", "R2 raw, pre-issue-11 head lock"))
LIST_RAW = (("list_first_raw_read", "raw list SQL, first page"),
            ("list_first_raw_audited", "raw list + staged entry, first"),
            ("list_deep_raw_read", "raw list SQL, deep page"),
            ("list_deep_raw_audited", "raw list + staged entry, deep"))
P99_MS, P99_OVER_P50, LAG_P99_MS, SHARE_2_WORKERS = 250.0, 3.0, 250.0, 20.0
# CPU per request, ms (issue 11 item 4): bench/cpu_per_request.py's modes and the loads they match.
CPU_TARGETS = (("transitions", "transitions_api", "transition", 7.0), ("read", "reads_api", "GET /v1/cases/{id}", 4.0),
               ("list", "list_first_api", "list page", 5.0))
LEDGER_LEGEND = " ".join([
    "Rate in % of R0's, latencies as a multiple of R0's (R0 = the lean raw transition of the same round:",
    "case `FOR UPDATE`, `UPDATE`, transition row, one staged entry).",
    "Oldest staged = age of the oldest entry in `audit_staging` (from its `created_at`, taken in the request",
    "before its COMMIT), sampled every 50 ms during the measured phase from a connection of its own: an upper",
    "bound of the chain lag, and the figure the lag target is judged on.",
    "Residence = each entry's time in staging, from commit to chaining (every sample lists the waiting",
    "`staged_seq`s, so each entry's stay is known to +- one sample gap; entries no sample showed count as half",
    "a gap): the chainer's own lag, without the request's remaining work.",
    "Chainer histogram = `casusregie_audit_chain_lag_seconds` of the chaining process (from `created_at` too),",
    "entries chained during the load (warm-up included), bucket holding p50 / p99.",
    "Entries = found in audit_log + audit_staging / expected (one per audited request, warm-up included).",
    "verify-audit ran after each API load, against the signed checkpoints.",
])


def _w(w: int) -> str:
    return f"{w} worker{'s' if w > 1 else ''}"


def _of(value: float | None, ref: float | None, *, pct: bool) -> str:
    if value is None:
        return "-"
    if not ref:
        return f"{value}"
    return f"{value} ({value / ref * 100:.0f} %)" if pct else f"{value} ({value / ref:.1f}x)"


def _lost_verdict(lost: dict[str, Any]) -> str:
    if not lost["ok"]:
        return " **MISMATCH**"
    return " ok" if lost.get("exact", True) else f" ok within bounds ({lost['failed_requests']} failed)"


def _ledger_cells(r: dict[str, Any]) -> list[Any]:
    led = r.get("ledger")
    if not led:
        return ["-"] * 7
    lost = led["nothing_lost"]
    hist = led.get("chainer_histogram") or {}
    hist_cell = (f"<= {hist['p50_le_s']} / <= {hist['p99_le_s']} s (n {hist['entries_chained']})"
                 if hist.get("comparable") and hist.get("entries_chained") else "-")
    ver = led.get("verify_audit")
    return [f"{led['oldest_staged_p50_ms']} / {led['oldest_staged_p99_ms']} / {led['oldest_staged_max_ms']}",
            f"{led.get('residence_p50_ms')} / {led.get('residence_p99_ms')} / {led.get('residence_max_ms')}",
            f"{led['depth_max']} (mean {led['depth_mean']})",
            f"{led['drained_after_load_ms']}" + ("" if led["empty_within_1s"] else " **> 1 s**"),
            hist_cell,
            f"{lost['found_entries']} / {lost['expected_entries']}" + (_lost_verdict(lost)),
            "-" if not ver else ("valid" if ver["valid"] else f"**INVALID** {ver.get('reason')}")]


def ledger_tables(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    rows: list[list[Any]] = []
    for w, rnd in _rounds(results):
        r0 = rnd.get("transitions_raw_R0")
        if not r0:
            continue
        for key, label in (*RAW_LOADS, *API_LOADS, *LIST_RAW):
            r = rnd.get(key)
            if not r:
                continue
            ratio = round(r["p99_ms"] / r["p50_ms"], 1) if r["p50_ms"] else "-"
            rows.append([label, w, _of(r["rate_per_s"], r0["rate_per_s"], pct=True),
                         _of(r["p50_ms"], r0["p50_ms"], pct=False), _of(r["p99_ms"], r0["p99_ms"], pct=False),
                         ratio, r["non_2xx"], *_ledger_cells(r), _cpu(r)])
    if not rows:
        return lines
    lines += ["## Audit ledger under load (issue 11): 32 clients, each figure beside R0 of the same round", "",
              LEDGER_LEGEND, ""]
    lines += _table(["load", "workers", "req/s (of R0)", "p50 ms (x R0)", "p99 ms (x R0)", "p99/p50", "non-2xx",
                     "oldest staged p50 / p99 / max ms", "residence p50 / p99 / max ms", "staging depth max",
                     "drained after load ms",
                     "chainer histogram p50 / p99", "entries found / expected", "verify-audit", "CPU (cores)"], rows)
    return lines


def ledger_targets(results: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    rounds = dict(_rounds(results))
    two = rounds.get(2, {})
    api, r0 = two.get("transitions_api"), two.get("transitions_raw_R0")
    if api and r0:
        share = api["rate_per_s"] / r0["rate_per_s"] * 100
        rows.append([f"API transitions >= {SHARE_2_WORKERS:.0f} % of R0, 2 workers",
                     f"{share:.0f} % ({api['rate_per_s']} vs {r0['rate_per_s']}/s)",
                     "met" if share >= SHARE_2_WORKERS else "NOT met"])
    else:
        rows.append([f"API transitions >= {SHARE_2_WORKERS:.0f} % of R0, 2 workers", "not measured (no 2-worker round)",
                     "-"])
    for w, rnd in rounds.items():
        for key, label in API_LOADS:
            r = rnd.get(key)
            if not r:
                continue
            ok = r["p99_ms"] < P99_MS and r["p99_ms"] <= P99_OVER_P50 * r["p50_ms"]
            rows.append([f"{label}: p99 < {P99_MS:.0f} ms and <= {P99_OVER_P50:.0f} x p50, 32 clients, {_w(w)}",
                         f"p99 {r['p99_ms']} ms, p50 {r['p50_ms']} ms ({r['p99_ms'] / r['p50_ms']:.1f}x)"
                         if r["p50_ms"] else f"p99 {r['p99_ms']} ms", "met" if ok else "NOT met"])
    for w, rnd in rounds.items():
        for key, label in API_LOADS:
            led = (rnd.get(key) or {}).get("ledger")
            if not led:
                continue
            p99 = led["oldest_staged_p99_ms"]
            ok = p99 is not None and p99 < LAG_P99_MS and led["empty_within_1s"]
            rows.append([f"{label}: chainer lag p99 < {LAG_P99_MS:.0f} ms and staging empty within 1 s, {_w(w)}",
                         f"oldest staged p99 {p99} ms (max {led['oldest_staged_max_ms']}; residence p99 "
                         f"{led.get('residence_p99_ms')} ms); empty {led['drained_after_load_ms']} ms after the load",
                         "met" if ok else "NOT met"])
    rows += cpu_targets(results)
    return rows


def cpu_targets(results: dict[str, Any]) -> list[list[Any]]:
    """CPU per request, two ways: the served process's CPU under the 32-client load of each round (uvloop,
    httptools, the chainer's batches and the read entries' group writes as they run in production), and
    bench/cpu_per_request.py in process (one request after another: the ASGI client's CPU is counted too, and
    every request's entries are chained in a batch of their own). The target is judged on the served process."""
    rows: list[list[Any]] = []
    for w, rnd in _rounds(results):
        for _, key, label, target in CPU_TARGETS:
            r = rnd.get(key)
            ms = (r or {}).get("cpu_s_per_1000", {}).get("api server")
            if ms is None:
                continue
            rows.append([f"CPU per {label} <= {target:.0f} ms, served process under load, {_w(w)}",
                         f"{ms:.2f} ms ({r['rate_per_s']}/s)", "met" if ms <= target else "NOT met"])
    cpu = results.get("cpu_per_request") or {}
    for mode, _, label, target in CPU_TARGETS:
        c = cpu.get(mode) or {}
        if "cpu_ms" in c:
            rows.append([f"CPU per {label} <= {target:.0f} ms, in process, sequential (for comparison)",
                         f"{c['cpu_ms']} ms", "met" if c["cpu_ms"] <= target else "above"])
    return rows


def ledger_checks(results: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for w, rnd in _rounds(results):
        for key, label in (*RAW_LOADS, *API_LOADS, *LIST_RAW):
            led = (rnd.get(key) or {}).get("ledger")
            if not led:
                continue
            lost = led["nothing_lost"]
            ver = led.get("verify_audit")
            hist = led.get("chainer_histogram") or {}
            rows.append([label, w, lost["requests"], lost["audited_requests"], lost["failed_requests"],
                         lost["expected_entries"], lost["found_entries"], lost["other_actions"] or "-",
                         _lost_verdict(lost).strip(),
                         "-" if not ver else f"{'valid' if ver['valid'] else '**INVALID**'}, {ver['entries']} entries, "
                         f"{ver.get('staged', 0)} staged, {ver.get('checkpoints_checked', 0)} checkpoints",
                         hist.get("ledger_errors", "-")])
    return rows


def render(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    pg = results.get("postgres", {})
    lines = ["# Benchmark summary (generated by bench/run.py)", "",
             f"- date: {m.get('date_utc')}; duration {results.get('duration_min')} min",
             f"- machine: {m.get('nproc')} cores ({m.get('cpu_model')}), {m.get('memory_gib')} GiB, "
             f"kernel {m.get('kernel')}, Python {m.get('python')}",
             f"- load average at start {m.get('loadavg_at_start')}, at end {m.get('loadavg_at_end')}",
             f"- PostgreSQL {pg.get('version')} {pg.get('settings', {})}",
             f"- command: `{results.get('command')}`; config: `{results.get('config')}`",
             f"- seed: `{results.get('seed')}`", ""]

    lines += ["## Targets (issue 11)", ""]
    lines += _table(["target", "measured", "verdict"], ledger_targets(results))
    cap = results.get("r1_statements")
    if cap:
        lines += [("R1 sends the statements the app sent for a transition in this run: "
                   + ("yes" if cap["r1_mirrors_app"] else "**NO**")
                   + f" (captured: {'; '.join(cap['app']) or cap.get('error')}"
                   + ("" if cap["r1_mirrors_app"] else f"; R1: {'; '.join(cap['r1'])}") + ")."), ""]
    lines += ledger_tables(results)
    checks = ledger_checks(results)
    if checks:
        lines += ["## Nothing lost, chain valid (every load measured with the ledger)", "",
                  "Requests = warm-up + measured; audited = answered 2xx (raw: committed); expected = audited x the "
                  "entries per request found by the check before the loads; found = entries added to audit_log + "
                  "audit_staging in the load's action.", ""]
        lines += _table(["load", "workers", "requests", "audited", "failed", "expected entries", "found",
                         "entries of other actions", "nothing lost", "verify-audit after the load",
                         "chainer errors"], checks)
    pre = results.get("entries_per_request_check")
    if pre:
        lines += ["Entries per request, checked before the loads (5 requests each, one after the other):", ""]
        lines += _table(["request", "action", "entries / requests", "statuses", "other actions", "one each"],
                        [[name, c["action"], f"{c['entries']} / {c['requests']}", c["statuses"],
                          c["other_actions"] or "-", c["one_each"]] for name, c in pre.items()])
    cpu = results.get("cpu_per_request")
    if cpu:
        lines += ["## CPU per request in process (bench/cpu_per_request.py: ASGI client, this process's CPU, "
                  "its own chainer included)", ""]
        lines += _table(["request", "requests", "CPU ms", "user ms", "sys ms", "wall ms"],
                        [[mode, c.get("requests"), c.get("cpu_ms"), c.get("user_ms"), c.get("sys_ms"),
                          c.get("wall_ms")] if "error" not in c else [mode, "error", c["error"][:200], "", "", ""]
                         for mode, c in cpu.items()])
    for key, title in (("verify_after_seed", "after seeding"), ("audit_after_load", "after every load")):
        if results.get(key):
            lines += [f"verify-audit over the benchmark database {title}: `{results[key]}`", ""]

    issue6 = targets(results)
    if issue6:
        lines += ["## Targets of issue 6 (for reference)", ""]
        lines += _table(["target", "measured", "verdict"], issue6)

    list_rows, sig_rows = [], []
    for w, rnd in _rounds(results):
        for page in ("first", "deep"):
            a, r, ra = (rnd.get(f"list_{page}_api"), rnd.get(f"list_{page}_raw_read"),
                        rnd.get(f"list_{page}_raw_audited"))
            prev = rnd.get(f"list_{page}_raw_previous")
            previous = f"{prev['rate_per_s']}/s, p50 {prev['p50_ms']}, p99 {prev['p99_ms']}" if prev else "-"
            if a and r and ra:
                list_rows.append([page, w, a["rate_per_s"], a["p50_ms"], a["p99_ms"], a["non_2xx"],
                                  r["rate_per_s"], r["p50_ms"], r["p99_ms"], ra["rate_per_s"], ra["p50_ms"],
                                  ra["p99_ms"], _ratio(a, r), _ratio(a, ra), _cpu(a),
                                  previous])
        for key in ("signals_single", "signals_batch"):
            a, r, bulk = rnd.get(f"{key}_api"), rnd.get(f"{key}_raw"), rnd.get(f"{key}_raw_bulk")
            if a and r:
                api_sps, raw_sps = a.get("signals_per_s", a["rate_per_s"]), r.get("signals_per_s", r["rate_per_s"])
                bulk_sps = bulk["signals_per_s"] if bulk else None
                sig_rows.append([key.replace("_", " "), w, a["concurrency"], a["rate_per_s"], api_sps, a["p50_ms"],
                                 a["p99_ms"], a["non_2xx"], raw_sps, r["p50_ms"], r["p99_ms"],
                                 f"{api_sps / raw_sps * 100:.0f}%", bulk_sps or "-",
                                 f"{api_sps / bulk_sps * 100:.0f}%" if bulk_sps else "-", _cpu(a)])
    if list_rows:
        lines += ["## Case list (GET /v1/cases, limit 50, 32 clients; raw baselines in the first round)", ""]
        lines += _table(["page", "workers", "API req/s", "p50 ms", "p99 ms", "non-2xx", "raw SQL q/s", "p50", "p99",
                         "raw SQL + staged entry /s", "p50", "p99", "API/raw SQL", "API/raw+entry",
                         "CPU (cores) API run", "raw SQL, previous shape (EXISTS per case)"], list_rows)
    lat_rows = []
    for w, rnd in _rounds(results):
        for key, label in (("transitions", "transition"), ("list_first", "list, first page"),
                           ("list_deep", "list, deep page")):
            a = rnd.get(f"{key}_api_1client")
            r = rnd.get(f"{key}_raw_1client") or rnd.get(f"{key}_raw_read_1client")
            if a and r:
                lat_rows.append([label, w, a["rate_per_s"], a["p50_ms"], a["p99_ms"], r["rate_per_s"], r["p50_ms"],
                                 r["p99_ms"], _cpu(a)])
    if lat_rows:
        lines += ["## One client (latency without queueing)", ""]
        lines += _table(["what", "workers", "API req/s", "p50 ms", "p99 ms", "raw /s", "raw p50", "raw p99",
                         "CPU (cores) API run"], lat_rows)
    if sig_rows:
        lines += ["## Signal intake", ""]
        lines += _table(["kind", "workers", "clients", "API req/s", "API signals/s", "p50 ms", "p99 ms", "non-2xx",
                         "raw (same shape) signals/s", "raw p50", "raw p99", "API/raw", "raw bulk signals/s",
                         "API/raw bulk", "CPU (cores) API run"], sig_rows)

    cost_rows = []
    for w, rnd in _rounds(results):
        for r in rnd.values():
            if not isinstance(r, dict) or not r.get("cpu_s_per_1000"):
                continue
            c = r["cpu_s_per_1000"]
            api, pg, lg = c.get("api server", 0.0), c.get("postgres", 0.0), c.get("load generator", 0.0)
            # The work that would stay on a 2-core database host if the clients ran elsewhere: for the API the
            # server and PostgreSQL; for a raw baseline PostgreSQL and the asyncpg client (the load generator),
            # and the idle server's chainer when it chains the baseline's staged entries (R0, R1).
            raw = "api" not in r["name"].lower()
            work = pg + lg + api if raw else api + pg
            per = r.get("batch", 1)
            cost_rows.append([r["name"], w, r["concurrency"], r["rate_per_s"], round(api / per, 2) if api else "-",
                              round(pg / per, 2), round(lg / per, 2), round(2000 / work * per) if work else "-"])
    if cost_rows:
        lines += ["## CPU per operation (ms; per signal for batches) and what 2 unshared cores would allow", "",
                  "Measured from /proc during each run; less sensitive to other load on the machine than req/s. "
                  "Capacity = 2 000 ms / (API server + PostgreSQL) for the API, / (PostgreSQL + asyncpg client + "
                  "the server's chainer) for raw: an upper bound that ignores lock waits and the load generator.", ""]
        lines += _table(["run", "workers", "clients", "measured /s", "API server", "PostgreSQL", "load generator",
                         "2-core capacity /s"], cost_rows)

    memory = results.get("memory")
    if memory:
        ld = memory["load"]
        lines += [f"## Memory ({ld['requests']:,} x GET /v1/cases/{{id}} in {ld['elapsed_s']} s, "
                  f"{ld['rate_per_s']}/s, p99 {ld['p99_ms']} ms, non-2xx {ld['non_2xx']})", ""]
        lines += _table(["worker pid", "RSS idle MiB", "start MiB", "end MiB", "max MiB", "end vs start",
                         "max vs start", "within 10%"],
                        [[w["pid"], w["rss_idle_mib"], w["rss_start_mib"], w["rss_end_mib"], w["rss_max_mib"],
                          f"{w['growth_pct']}%", f"{w['max_over_start_pct']}%", w["within_10pct"]]
                         for w in memory["workers"]])

    audit = results.get("audit")
    if audit:
        g = audit["generate"]
        lines += [f"## Audit verification ({g['entries']:,} entries, table {g['table_size']})", ""]
        rows = [["casusregie verify-audit (process start included)", audit["verify_cli"]],
                ["verify_chain() in process", audit["verify_in_process"]],
                ["raw: asyncpg stream, batches of 5 000, no hashing", audit["raw_stream"]],
                *([["raw: the verifier's COPY stream, one connection, no hashing", audit["raw_copy"]]]
                  if "raw_copy" in audit else []),
                *([[f"raw: the verifier's COPY stream, {audit['raw_copy_parallel']['connections']} connections "
                    "in parallel, no hashing", audit["raw_copy_parallel"]]] if "raw_copy_parallel" in audit else []),
                ["raw: asyncpg stream + recompute every hash", audit["raw_stream_and_hash"]]]
        lines += _table(["what", "entries", "seconds", "entries/s", "valid"],
                        [[name, r["entries"], r["elapsed_s"], f"{r['entries_per_s']:,}", r.get("valid", "")]
                         for name, r in rows]
                        + [["hashing alone (entry_hash, in memory)", g["entries"], g["hash_alone_s"],
                            f"{g['hash_alone_entries_per_s']:,}", ""]])
    for key, title in (("profile_transitions", "Profile: transitions, 1 worker (py-spy)"),
                       ("profile_list", "Profile: case list deep page, 1 worker (py-spy)")):
        prof = results.get(key)
        if prof:
            lines += _profile(title, prof)
    if audit and audit.get("profile"):
        lines += _profile("Profile: casusregie verify-audit (py-spy)", audit["profile"])
    return "\n".join(lines)


def _profile(title: str, prof: dict[str, Any]) -> list[str]:
    lines = [f"## {title}: {prof['samples']} samples", ""]
    lines += _table(["area (leaf-most match)", "% of samples"], [list(a) for a in prof["areas"][:12]])
    lines += _table(["top self frames", "%"], [list(a) for a in prof["self"][:15]])
    lines += _table(["app frames, inclusive (samples with this frame on the stack)", "%"],
                    [list(a) for a in prof.get("app_inclusive", prof["inclusive"])[:25]])
    return lines
