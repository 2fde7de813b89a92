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
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.serving import PROJECT_DIR, create_database, drop_database, mint_token, start_server, with_database

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
CASE_READS = ["", "/transitions", "/history", "/participants", "/notes", "/plan", "/plan/versions"]


@dataclass
class Seeded:
    template_db: str
    peer_cases: dict[str, str]  # peer name -> its case id


async def _seed_peers(database_url: str) -> dict[str, str]:
    """Two peer municipalities, a convenant naming both, and one case (with a note and a plan) each."""
    from app import access
    from app.cases import notes, plans
    from app.cases import service as cases
    from app.cases.schemas import CaseCreate, PlanPut
    from app.config import Settings
    from app.convenants import service as convenants
    from app.convenants.schemas import ConvenantCreate
    from app.db import Database
    from app.organisations import service as organisations
    from app.organisations.schemas import OrganisationCreate
    from app.principal import Principal

    settings = Settings(database_url=database_url, env="development")
    access.configure(access.load_policies(settings.policies_dir))
    db = Database(settings)
    beheerder = Principal(sub="st-beheerder", org="zvh-mh", roles=("beheerder",))
    out: dict[str, str] = {}
    try:
        async with db.unit_of_work() as session:
            for org in PEERS.values():
                await organisations.create(session, beheerder, OrganisationCreate(
                    code=org, name=f"Gemeente {org.removeprefix('gemeente-').title()} (fictief)", kind="gemeente"))
            view = await convenants.create(session, beheerder, ConvenantCreate.model_validate(PEER_CONVENANT))
            await convenants.activate(session, beheerder, view.convenant.id)
        for peer, org in PEERS.items():
            regisseur = Principal(sub=f"st-{peer}", org=org, roles=("procesregisseur",))
            async with db.unit_of_work() as session:
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


def seed(admin_url: str, base: str) -> Seeded:
    from app.config import Settings
    from app.demo import prepare_demo

    url = asyncio.run(create_database(admin_url, f"{base}_seed"))
    prepare_demo(Settings(database_url=url, env="development"))
    peer_cases = asyncio.run(_seed_peers(url))
    return Seeded(template_db=f"{base}_seed", peer_cases=peer_cases)


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
                for method, suffix, body in writes:
                    r = client.request(method, f"/v1/cases/{case_id}{suffix}", json=body, headers=headers)
                    if r.status_code != 404:
                        problems.append(f"{method} /v1/cases/{{{other}}}{suffix} as {peer}: {r.status_code}, "
                                        "expected 404")
    return problems


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
    parser.add_argument("--max-time", type=int, default=int(os.environ.get("ST_MAX_TIME", "18")),
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
    seeded: Seeded | None = None
    with tempfile.TemporaryDirectory(prefix="casusregie-st-") as tmp:
        workdir = Path(tmp)
        try:
            seeded = seed(args.database_url, base)
            print(f"== seeded {seeded.template_db} in {time.monotonic() - started:.0f} s", flush=True)
            seed_url = asyncio.run(create_database(args.database_url, f"{base}_probe", template=seeded.template_db))
            tokens = {label: mint_token(seed_url, org, role, sub=f"st-{label}") for label, org, role in ROLES}
            tokens |= {peer: mint_token(seed_url, org, "procesregisseur", sub=f"st-{peer}")
                       for peer, org in PEERS.items()}
            wfc = workdir / "peers.json"
            wfc.write_text(json.dumps({"auth": [
                {"name": peer, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {tokens[peer]}"}]}
                for peer in PEERS]}), encoding="utf-8")

            runs = [(label, f"Authorization: Bearer {tokens[label]}", _config(workdir, wfc=None, pin=None))
                    for label, _, _ in ROLES]
            runs += [(peer, None, _config(workdir, wfc=wfc, pin=peer)) for peer in PEERS]
            for label, header, config in runs:
                if args.only and label not in args.only:
                    continue
                url = asyncio.run(create_database(args.database_url, f"{base}_{label.replace('-', '_')}",
                                                  template=seeded.template_db))
                server = start_server(url, workdir / f"server-{label}.log")
                try:
                    code = run_schemathesis(label, server.url, config, report_dir, header=header,
                                            max_examples=args.max_examples, max_time=args.max_time, seed=args.seed)
                finally:
                    server.stop()
                    asyncio.run(drop_database(url))
                if code != 0:
                    failures.append(f"schemathesis as {label} exited {code}")
                failures += [f"the server logged an unhandled error as {label}: {e}" for e in unhandled(server.log())]

            server = start_server(seed_url, workdir / "server-probe.log")
            try:
                leaks = probe_peers(server.url, {p: tokens[p] for p in PEERS}, seeded.peer_cases)
            finally:
                server.stop()
                asyncio.run(drop_database(seed_url))
            print(f"== peer probe: {len(leaks)} leak(s)", flush=True)
            failures += leaks
        finally:
            if seeded is not None:
                asyncio.run(drop_database(with_database(args.database_url, seeded.template_db)))
    print(f"== schemathesis runs took {time.monotonic() - started:.0f} s", flush=True)
    if failures:
        print("== FAILED:\n" + "\n".join(f"- {f}" for f in failures), file=sys.stderr)
        return 1
    print("== schemathesis: no failures")
    return 0




if __name__ == "__main__":
    sys.exit(main())
