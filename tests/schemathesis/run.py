"""Schemathesis against the committed openapi/openapi.json, on a seeded PostgreSQL, once per role.

    .venv/bin/python -m tests.schemathesis.run --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/x

1. Seeds a database once (the demo world: organisations, an active convenant, cases on every ladder;
   plus two peer municipalities, each party to a convenant and each with a case of its own).
2. For every role (and for the two peers), copies the seeded database, serves it with
   `casusregie serve` on a free 127.0.0.1 port and runs `schemathesis run` with every check
   (`--checks all`), bounded by `--max-examples` and `--max-time`. The peer runs authenticate through a
   Web Fuzzing Commons auth file naming both peers, so `object_level_authorization` replays each
   peer's reads as the other peer.
3. Probes object-level authorization directly as well: each peer asks for every case-scoped
   resource of the other peer's case and must get 404 (never 200, never 403), and its list must not
   show the other's case.

Exits non-zero when any run finds a failure, a probe leaks, or the server logged an unhandled error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.serving import PROJECT_DIR, Server, create_database, drop_database, mint_token, start_server

HERE = Path(__file__).resolve().parent
SCHEMA = PROJECT_DIR / "openapi" / "openapi.json"
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")

# The demo's users (app/demo.py) plus the two peers: (name, organisation, role).
ROLES = [
    ("procesregisseur", "zvh-mh", "procesregisseur"),
    ("casusregisseur", "gemeente-maastricht", "casusregisseur"),
    ("medewerker", "politie-limburg", "medewerker"),
    ("melder", "woonpunt", "melder"),
    ("bestuurder", "gemeente-maastricht", "bestuurder"),
    ("auditor", "zvh-mh", "auditor"),
    ("beheerder", "zvh-mh", "beheerder"),
]
PEERS = {"peer-a": "gemeente-heerlen", "peer-b": "gemeente-sittard-geleen"}
PEER_CONVENANT = {
    "code": "pga-peers-2025",
    "title": "Convenant PGA Parkstad en Westelijke Mijnstreek (demo)",
    "case_types": ["jeugdgroep", "woonoverlast", "ex_gedetineerde", "radicalisering", "ijam"],
    "purposes": ["voorkomen van escalatie en recidive"],
    "legal_basis": "Wgs - PGA complexe casuistiek",
    "valid_from": "2025-01-01",
    "valid_until": "2030-12-31",
    "retention_months": 24,
    "parties": [
        {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie", "wonen", "zorg"]},
        {"organisation": PEERS["peer-a"], "role": "kernpartner",
         "data_categories": ["identificatie", "wonen", "sociaal_domein", "onderwijs", "veiligheid"]},
        {"organisation": PEERS["peer-b"], "role": "kernpartner",
         "data_categories": ["identificatie", "wonen", "sociaal_domein", "onderwijs", "veiligheid"]},
    ],
}
# Every case-scoped read a peer could try on the other peer's case.
CASE_READS = ["", "/transitions", "/history", "/participants", "/notes", "/plan", "/plan/versions", "/signals",
              "/export?pseudonymised=true"]


async def _seed_peers(database_url: str) -> dict[str, str]:
    """Two peer municipalities, a convenant naming both, and one case (with a note and a plan) each."""
    from app import access
    from app.auth.principal import Principal
    from app.cases import notes, plans
    from app.cases import service as cases
    from app.cases.schemas import CaseCreate, PlanPut
    from app.config import Settings
    from app.convenants import service as convenants
    from app.convenants.schemas import ConvenantCreate
    from app.kit.database import Database
    from app.organisations import service as organisations
    from app.organisations.schemas import OrganisationCreate
    from app.unit_of_work import unit_of_work

    settings = Settings(database_url=database_url, env="development")
    access.configure(access.load_policies(settings.policies_dir))
    db = Database(settings)
    beheerder = Principal(sub="st-beheerder", org="zvh-mh", roles=("beheerder",))
    out: dict[str, str] = {}
    try:
        async with unit_of_work(db) as session:
            for org in PEERS.values():
                await organisations.create(session, beheerder, OrganisationCreate(
                    code=org, name=f"Gemeente {org.removeprefix('gemeente-').title()} (fictief)", kind="gemeente"))
            view = await convenants.create(session, beheerder, ConvenantCreate.model_validate(PEER_CONVENANT))
            await convenants.activate(session, beheerder, view.convenant.id)
        for peer, org in PEERS.items():
            regisseur = Principal(sub=f"st-{peer}", org=org, roles=("procesregisseur",))
            async with unit_of_work(db) as session:
                body = {"case_type": "ijam", "title": f"Casus van {org} (fictief)", "initial_state": "netwerkoverleg",
                        "subjects": [{"type": "persoon", "name": f"Jongere {peer}", "birth_date": "2010-01-01"}]}
                loaded = await cases.create(session, regisseur, CaseCreate.model_validate(body),
                                            bsn_key=settings.effective_bsn_hash_key)
                case_id = loaded.case.id
                await notes.add(session, regisseur, case_id, "wonen", "Notitie van de eigen gemeente.")
                await plans.put(session, regisseur, case_id, PlanPut.model_validate(
                    {"summary": "Plan", "actions": [{"description": "Huisbezoek", "organisation": org}]}), None)
                out[peer] = str(case_id)
    finally:
        await db.dispose()
    return out


def seed(url: str) -> dict[str, str]:
    """The demo world through its services (a real audit chain), then the peers; returns each peer's case id."""
    from app.config import Settings
    from app.demo import prepare_demo

    prepare_demo(Settings(database_url=url, env="development"))
    return asyncio.run(_seed_peers(url))


def _config(workdir: Path, *, wfc: Path | None, pin: str | None) -> Path:
    """schemathesis.toml for one run: the committed base config plus, for the peer runs, the WFC auth section."""
    text = (HERE / "schemathesis.toml").read_text(encoding="utf-8")
    if wfc is not None:
        peers = ", ".join(f'"{p}"' for p in PEERS)
        text += f'\n[auth.wfc]\npath = "{wfc}"\npeers = [{peers}]\n' + (f'user = "{pin}"\n' if pin else "")
    path = workdir / f"schemathesis-{pin or 'roles'}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_schemathesis(label: str, server_url: str, config: Path, report_dir: Path, *, header: str | None,
                     max_examples: int, max_time: int, seed: int) -> int:
    cmd = [
        SCHEMATHESIS, "--config-file", str(config), "run", str(SCHEMA), "--url", server_url,
        "--checks", "all", "--max-examples", str(max_examples), "--max-time", str(max_time),
        "--seed", str(seed), "--workers", "1", "--request-timeout", "20", "--no-color",
        "--report", "junit", "--report-dir", str(report_dir / label),
    ]
    if header:
        cmd += ["-H", header]
    print(f"== schemathesis as {label}: {' '.join(c if 'Bearer' not in c else 'Authorization: Bearer …' for c in cmd)}",
          flush=True)
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=PROJECT_DIR, check=False)
    print(f"== schemathesis as {label}: exit {done.returncode} in {time.monotonic() - started:.0f} s", flush=True)
    return done.returncode


def probe_peers(server_url: str, tokens: dict[str, str], peer_cases: dict[str, str]) -> list[str]:
    """Each peer asks for the other's case and everything hanging off it: 404 every time, and not listed."""
    problems: list[str] = []
    with httpx.Client(base_url=server_url, timeout=20) as client:
        for peer, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"}
            own = peer_cases[peer]
            r = client.get(f"/v1/cases/{own}", headers=headers)
            if r.status_code != 200:
                problems.append(f"{peer} cannot read its own case: {r.status_code}")
            listed = {c["id"] for c in client.get("/v1/cases", params={"limit": 200}, headers=headers).json()["items"]}
            for other, case_id in peer_cases.items():
                if other == peer:
                    continue
                if case_id in listed:
                    problems.append(f"{peer} lists {other}'s case {case_id}")
                for suffix in CASE_READS:
                    r = client.get(f"/v1/cases/{case_id}{suffix}", headers=headers)
                    if r.status_code != 404:
                        problems.append(f"GET /v1/cases/{{{other}}}{suffix} as {peer}: {r.status_code}, expected 404")
                writes = [
                    ("PATCH", "", {"title": "overgenomen"}),
                    ("POST", "/transitions", {"trigger": "afsluiten", "reason": "x", "data": {}}),
                    ("POST", "/notes", {"category": "wonen", "text": "x"}),
                    ("PUT", "/plan", {"summary": "x", "actions": []}),
                    ("POST", "/participants", {"organisation": PEERS[peer]}),
                    ("DELETE", f"/participants/{PEERS[other]}", None),
                ]
                # With If-Match (every case write needs one, else 428 whether the case exists or not): the answer
                # is then the access decision's.
                for method, suffix, body in writes:
                    r = client.request(method, f"/v1/cases/{case_id}{suffix}", json=body,
                                       headers=headers | {"If-Match": "*"})
                    if r.status_code != 404:
                        problems.append(f"{method} /v1/cases/{{{other}}}{suffix} as {peer}: {r.status_code}, "
                                        "expected 404")
        problems += _probe_peer_signals(client, tokens)
    return problems


def _probe_peer_signals(client: httpx.Client, tokens: dict[str, str]) -> list[str]:
    """Each peer reports a signal on one shared address; the other peer neither reads, lists, matches nor triages it."""
    problems: list[str] = []
    sent: dict[str, str] = {}
    for peer, token in tokens.items():
        body = {"case_type_hint": "woonoverlast", "description": "Peer probe", "category": "wonen",
                "subject": {"type": "adres", "postcode": "6411AB", "house_number": "1"}}
        r = client.post("/v1/signals", json=body,
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
        if r.status_code != 201:
            problems.append(f"{peer} cannot report a signal: {r.status_code}")
            continue
        sent[peer] = r.json()["id"]
        if r.json()["matches"]:
            problems.append(f"{peer}'s signal shows matches from another peer: {r.json()['matches']}")
    for peer, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        listed = {s["id"] for s in client.get("/v1/signals", params={"limit": 200}, headers=headers).json()["items"]}
        for other, signal_id in sent.items():
            if other == peer:
                continue
            if signal_id in listed:
                problems.append(f"{peer} lists {other}'s signal {signal_id}")
            r = client.get(f"/v1/signals/{signal_id}", headers=headers)
            if r.status_code != 404:
                problems.append(f"GET /v1/signals/{{{other}}} as {peer}: {r.status_code}, expected 404")
            r = client.post(f"/v1/signals/{signal_id}/triage", json={"decision": "afwijzen", "reason": "x"},
                            headers=headers)
            if r.status_code != 404:
                problems.append(f"POST /v1/signals/{{{other}}}/triage as {peer}: {r.status_code}, expected 404")
            r = client.post(f"/v1/signals/{signal_id}/feedback", json={"message": "x"}, headers=headers)
            if r.status_code != 404:
                problems.append(f"POST /v1/signals/{{{other}}}/feedback as {peer}: {r.status_code}, expected 404")
    return problems


def start_servers(jobs: list[tuple[str, Path]]) -> list[Server]:
    """`casusregie serve` for each (database URL, log file), all at once; all or none."""
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(start_server, url, log) for url, log in jobs]
    started = [f.result() for f in futures if f.exception() is None]
    if len(started) < len(jobs):
        for server in started:
            server.stop()
        raise next(f.exception() for f in futures if f.exception() is not None)  # type: ignore[misc]
    return started


def unhandled(log: str) -> list[str]:
    """The exception of each `unhandled error` the server logged (structured JSON log lines)."""
    found = []
    for line in log.splitlines():
        if "unhandled error" not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            found.append(line[-500:])
            continue
        last = [t for t in str(entry.get("traceback", "")).splitlines() if t and not t.startswith(" ")]
        found.append(f"{entry.get('exc_type')} (request {entry.get('request_id')}): {' | '.join(last[-2:])[:500]}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CASUSREGIE_TEST_DATABASE_URL"),
                        help="a PostgreSQL URL whose cluster this run may create databases on")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("ST_MAX_EXAMPLES", "8")))
    parser.add_argument("--max-time", type=int, default=int(os.environ.get("ST_MAX_TIME", "15")),
                        help="seconds per run (one run per role, two for the peers)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("ST_SEED", "20251127")))
    parser.add_argument("--only", action="append", help="run only these labels (roles or peer-a/peer-b)")
    parser.add_argument("--report-dir", default=str(PROJECT_DIR / "schemathesis-report"))
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error("--database-url (or CASUSREGIE_TEST_DATABASE_URL) must name a PostgreSQL database")

    started = time.monotonic()
    base = f"casusregie_st_{uuid.uuid4().hex[:8]}"
    report_dir = Path(args.report_dir)
    failures: list[str] = []
    failed_runs: list[str] = []
    created: list[str] = []  # every database this run made, dropped at the end whatever happens

    def database(suffix: str, template: str | None = None) -> str:
        url = asyncio.run(create_database(args.database_url, f"{base}_{suffix}", template=template))
        created.append(url)
        return url

    with tempfile.TemporaryDirectory(prefix="casusregie-st-") as tmp:
        workdir = Path(tmp)
        try:
            template = f"{base}_seed"
            peer_cases = seed(database("seed"))
            print(f"== seeded {template} in {time.monotonic() - started:.0f} s", flush=True)
            probe_url = database("probe", template)
            users = [*ROLES, *((peer, org, "procesregisseur") for peer, org in PEERS.items())]
            with ThreadPoolExecutor(max_workers=4) as pool:  # `casusregie token`, one process per user
                minted = pool.map(lambda u: mint_token(probe_url, u[1], u[2], sub=f"st-{u[0]}"), users)
                tokens = dict(zip((label for label, _, _ in users), minted, strict=True))
            wfc = workdir / "peers.json"
            wfc.write_text(json.dumps({"auth": [
                {"name": peer, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {tokens[peer]}"}]}
                for peer in PEERS]}), encoding="utf-8")

            runs = [(label, f"Authorization: Bearer {tokens[label]}", _config(workdir, wfc=None, pin=None))
                    for label, _, _ in ROLES]
            runs += [(peer, None, _config(workdir, wfc=wfc, pin=peer)) for peer in PEERS]
            runs = [run for run in runs if not args.only or run[0] in args.only]
            # A fresh copy of the seeded database per run, so one role's writes (a terminated convenant, say)
            # never blind the next; every server starts at once (idle servers cost nothing) to save the waits.
            urls = [database(label.replace("-", "_"), template) for label, _, _ in runs]
            servers = start_servers([*((url, workdir / f"server-{label}.log")
                                       for url, (label, _, _) in zip(urls, runs, strict=True)),
                                     (probe_url, workdir / "server-probe.log")])
            try:
                for server, (label, header, config) in zip(servers, runs, strict=False):
                    code = run_schemathesis(label, server.url, config, report_dir, header=header,
                                            max_examples=args.max_examples, max_time=args.max_time, seed=args.seed)
                    server.stop()
                    found = [f"the server logged an unhandled error as {label}: {e}" for e in unhandled(server.log())]
                    if code != 0:
                        found.insert(0, f"schemathesis as {label} exited {code}")
                    failed_runs += [label] if found else []
                    failures += found
                leaks = probe_peers(servers[-1].url, {p: tokens[p] for p in PEERS}, peer_cases)
            finally:
                for server in servers:
                    server.stop()
            print(f"== peer probe: {len(leaks)} leak(s)", flush=True)
            failures += leaks
        finally:
            for url in reversed(created):
                asyncio.run(drop_database(url))
    print(f"== schemathesis runs took {time.monotonic() - started:.0f} s", flush=True)
    if failures:
        print("== FAILED:\n" + "\n".join(f"- {f}" for f in failures), flush=True)
    # One line a CI reader can count: each role's run and the peer probe are one test each.
    failed = len(failed_runs) + bool(leaks)
    print(f"schemathesis: {len(runs) + 1 - failed} passed, {failed} failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
