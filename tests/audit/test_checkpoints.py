"""Signed checkpoints (app/audit/checkpoints.py): what is signed, how they are stored outside the database, and
which contradictions between a checkpoint and the log they reveal."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.audit.checkpoints import (
    BAD_SIGNATURE,
    CHECKPOINT_FORMAT,
    REWRITTEN,
    TRUNCATED,
    Checkpoint,
    CheckpointConflict,
    CheckpointFormatError,
    CheckpointProblem,
    DirectorySink,
    Signer,
    WitnessSink,
    contradictions,
    key_id_of,
    load_signer,
    public_key_from_pem,
    signature_valid,
)
from app.audit.hash_chain import GENESIS_HASH
from app.config import ConfigError, Settings

T = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
WITNESS = "https://witness.example/checkpoints"


def h(n: int) -> str:
    return hashlib.sha256(f"entry {n}".encode()).hexdigest()


@pytest.fixture
def signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


# --- signing and verifying ---------------------------------------------------------------------------------


def test_sign_and_verify_roundtrip(signer: Signer) -> None:
    cp = signer.sign(5, h(5), T)

    assert (cp.seq, cp.hash, cp.time) == (5, h(5), T)
    assert cp.key_id == signer.key_id == key_id_of(signer.public_key)
    assert len(cp.key_id) == 16
    raw = signer.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert cp.key_id == hashlib.sha256(raw).hexdigest()[:16]
    assert len(base64.b64decode(cp.signature, validate=True)) == 64
    assert cp.signed_bytes() == f"{CHECKPOINT_FORMAT}\n5\n{h(5)}\n2026-01-02T03:04:05.000006Z\n".encode()
    assert signature_valid(cp, signer.public_key)
    assert signature_valid(cp, public_key_from_pem(signer.public_key_pem()))


def test_sign_keeps_time_in_utc(signer: Signer) -> None:
    amsterdam = T.astimezone(timezone(timedelta(hours=1)))
    cp = signer.sign(1, h(1), amsterdam)
    assert cp.time.utcoffset() == timedelta(0)
    assert cp.time == T
    naive = signer.sign(1, h(1), T.replace(tzinfo=None))
    assert naive.time == T
    assert signature_valid(cp, signer.public_key)


@pytest.mark.parametrize(
    ("seq", "hash_"),
    [(-1, h(1)), (1, h(1).upper()), (1, h(1)[:63]), (1, "g" * 64), (0, h(0))],
    ids=["negative seq", "uppercase hash", "short hash", "not hex", "seq 0 without genesis"],
)
def test_sign_refuses_an_impossible_claim(signer: Signer, seq: int, hash_: str) -> None:
    with pytest.raises(ValueError):
        signer.sign(seq, hash_, T)


def test_sign_the_empty_log(signer: Signer) -> None:
    assert signature_valid(signer.sign(0, GENESIS_HASH, T), signer.public_key)


@pytest.mark.parametrize(
    "change",
    [{"seq": 6}, {"hash": h(6)}, {"time": T + timedelta(microseconds=1)}],
    ids=["seq", "hash", "time"],
)
def test_a_changed_checkpoint_does_not_verify(signer: Signer, change: dict[str, Any]) -> None:
    cp = signer.sign(5, h(5), T)
    assert not signature_valid(replace(cp, **change), signer.public_key)


def test_another_key_does_not_verify(signer: Signer) -> None:
    cp = signer.sign(5, h(5), T)
    other = Signer(Ed25519PrivateKey.generate())

    assert not signature_valid(cp, other.public_key)
    # Claiming the other key's id does not help: the signature is still the first key's.
    assert not signature_valid(replace(cp, key_id=other.key_id), other.public_key)
    # Nor does the other key signing the same claim under the first key's id.
    forged = replace(other.sign(5, h(5), T), key_id=signer.key_id)
    assert not signature_valid(forged, signer.public_key)


def test_a_garbled_signature_is_invalid_not_an_error(signer: Signer) -> None:
    cp = signer.sign(5, h(5), T)
    assert not signature_valid(replace(cp, signature="not base64!"), signer.public_key)
    assert not signature_valid(replace(cp, signature=base64.b64encode(b"short").decode()), signer.public_key)


# --- JSON ---------------------------------------------------------------------------------------------------


def test_json_roundtrip(signer: Signer) -> None:
    cp = signer.sign(5, h(5), T)
    doc = cp.as_json()

    assert doc == {
        "format": CHECKPOINT_FORMAT,
        "seq": 5,
        "hash": h(5),
        "time": "2026-01-02T03:04:05.000006Z",
        "key_id": signer.key_id,
        "signature": cp.signature,
    }
    back = Checkpoint.from_json(json.loads(json.dumps(doc)))
    assert back == cp
    assert signature_valid(back, signer.public_key)


MALFORMED: list[tuple[str, Any]] = [
    ("not an object", ["seq", 5]),
    ("missing field", {"drop": "signature"}),
    ("unexpected field", {"set": ("extra", 1)}),
    ("other format", {"set": ("format", "casusregie-audit-checkpoint/v2")}),
    ("seq as text", {"set": ("seq", "5")}),
    ("seq as bool", {"set": ("seq", True)}),
    ("seq as float", {"set": ("seq", 5.0)}),
    ("negative seq", {"set": ("seq", -5)}),
    ("seq 0 without genesis", {"set": ("seq", 0)}),
    ("uppercase hash", {"set": ("hash", h(5).upper())}),
    ("short hash", {"set": ("hash", h(5)[:10])}),
    ("hash as number", {"set": ("hash", 5)}),
    ("time without Z", {"set": ("time", "2026-01-02T03:04:05.000006+00:00")}),
    ("time without microseconds", {"set": ("time", "2026-01-02T03:04:05Z")}),
    ("time with short fraction", {"set": ("time", "2026-01-02T03:04:05.5Z")}),
    ("time as number", {"set": ("time", 1767323045)}),
    ("time nonsense", {"set": ("time", "yesterday")}),
    ("short key_id", {"set": ("key_id", "abcd")}),
    ("key_id as null", {"set": ("key_id", None)}),
    ("signature not base64", {"set": ("signature", "@@@@")}),
    ("signature unpadded", {"set": ("signature", "strip=")}),
    ("signature too short", {"set": ("signature", base64.b64encode(b"x" * 63).decode())}),
    ("signature as number", {"set": ("signature", 7)}),
]


@pytest.mark.parametrize(("name", "mutation"), MALFORMED, ids=[name for name, _ in MALFORMED])
def test_malformed_json_is_refused(signer: Signer, name: str, mutation: Any) -> None:
    doc: Any = signer.sign(5, h(5), T).as_json()
    if isinstance(mutation, list):
        doc = mutation
    elif "drop" in mutation:
        del doc[mutation["drop"]]
    else:
        key, value = mutation["set"]
        doc[key] = doc[key].rstrip("=") if value == "strip=" else value
    with pytest.raises(CheckpointFormatError):
        Checkpoint.from_json(doc)


# --- keys ---------------------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_load_or_generate_creates_a_private_key_file_once(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "signing-key.pem"

    first = Signer.load_or_generate(path)
    assert path.is_file()
    assert _mode(path) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert os.listdir(path.parent) == [path.name]  # no temporary file left

    second = Signer.load_or_generate(path)
    assert second.key_id == first.key_id
    assert Signer.from_pem_file(path).key_id == first.key_id
    assert signature_valid(second.sign(1, h(1), T), first.public_key)


def test_from_pem_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Signer.from_pem_file(tmp_path / "absent.pem")


def test_from_pem_file_refuses_an_rsa_key(tmp_path: Path) -> None:
    path = tmp_path / "rsa.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(ConfigError, match="Ed25519"):
        Signer.from_pem_file(path)
    with pytest.raises(ConfigError, match="Ed25519"):
        Signer.load_or_generate(path)  # an existing file is loaded, never replaced
    with pytest.raises(ConfigError, match="Ed25519"):
        public_key_from_pem(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )


def test_from_pem_file_refuses_garbage_and_encrypted_keys(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key\n")
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        Signer.from_pem_file(garbage)

    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        Signer.from_pem_file(encrypted)

    with pytest.raises(ConfigError):
        public_key_from_pem("not a key")


def test_load_signer(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    key_file = tmp_path / "operator.pem"
    operator = Signer.load_or_generate(key_file)

    configured = load_signer(Settings(database_url=url, env="production", audit_signing_key=key_file))
    assert configured is not None and configured.key_id == operator.key_id

    assert load_signer(Settings(database_url=url, env="production")) is None

    development = Settings(database_url=url, env="development")
    generated = load_signer(development)
    assert generated is not None
    assert development.effective_signing_key is not None and development.effective_signing_key.is_file()
    again = load_signer(development)
    assert again is not None and again.key_id == generated.key_id

    with pytest.raises(ConfigError):
        load_signer(Settings(database_url=url, env="development", audit_signing_key=tmp_path / "absent.pem"))


# --- the directory sink -------------------------------------------------------------------------------------


def test_directory_sink_write_then_read(signer: Signer, tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path / "new" / "checkpoints")
    cp = signer.sign(5, h(5), T)

    assert sink.write(cp) is True

    path = tmp_path / "new" / "checkpoints" / "checkpoint-00000000000000000005.json"
    assert sink.read_all() == ([(path, cp)], [])
    assert sink.latest() == cp
    assert json.loads(path.read_text()) == cp.as_json()
    assert _mode(path) & 0o222 == 0  # read-only


def test_directory_sink_orders_by_seq(signer: Signer, tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    cps = [signer.sign(seq, h(seq), T) for seq in (12, 3, 100, 0 + 1)]
    for cp in cps:
        sink.write(cp)

    readable, unreadable = sink.read_all()
    assert [cp.seq for _, cp in readable] == [1, 3, 12, 100]
    assert unreadable == []
    latest = sink.latest()
    assert latest is not None and latest.seq == 100


def test_directory_sink_same_checkpoint_twice(signer: Signer, tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    cp = signer.sign(5, h(5), T)
    assert sink.write(cp) is True
    assert sink.write(cp) is False
    # The same claim signed later is nothing new either; the first file stays.
    assert sink.write(signer.sign(5, h(5), T + timedelta(seconds=1))) is False

    assert sorted(os.listdir(tmp_path)) == ["checkpoint-00000000000000000005.json"]
    assert sink.read_all() == ([(tmp_path / "checkpoint-00000000000000000005.json", cp)], [])


def test_directory_sink_refuses_a_fork(signer: Signer, tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    sink.write(signer.sign(5, h(5), T))
    path = sink.path_for(5)
    before = path.read_bytes()

    with pytest.raises(CheckpointConflict, match="another hash"):
        sink.write(signer.sign(5, h(55), T + timedelta(seconds=1)))

    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_directory_sink_keeps_an_unreadable_file(signer: Signer, tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    path = sink.path_for(5)
    path.write_text("{garbage")

    with pytest.raises(CheckpointConflict, match="kept as it is"):
        sink.write(signer.sign(5, h(5), T))
    assert path.read_text() == "{garbage"


def test_directory_sink_reports_unreadable_files(signer: Signer, tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    good = signer.sign(3, h(3), T)
    sink.write(good)
    corrupt = sink.path_for(7)
    corrupt.write_text("{not json")
    not_a_checkpoint = sink.path_for(8)
    not_a_checkpoint.write_text(json.dumps({"seq": 8}))
    renamed = sink.path_for(9)
    renamed.write_text(json.dumps(signer.sign(4, h(4), T).as_json()))
    (tmp_path / "README").write_text("not a checkpoint file name: ignored")

    readable, unreadable = sink.read_all()

    assert readable == [(sink.path_for(3), good)]
    assert [path for path, _ in unreadable] == [corrupt, not_a_checkpoint, renamed]
    assert unreadable[0][1] == "not JSON"
    assert unreadable[1][1].startswith("not a checkpoint: ")
    assert unreadable[2][1] == "the file name says seq 9, the checkpoint says 4"
    # latest() passes over unreadable files to the newest readable one
    assert sink.latest() == good


def test_directory_sink_missing_directory(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path / "absent")
    assert sink.read_all() == ([], [])
    assert sink.latest() is None


def test_directory_sink_leaves_no_temporary_files(signer: Signer, tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    for seq in range(1, 6):
        sink.write(signer.sign(seq, h(seq), T))
    sink.write(signer.sign(3, h(3), T))
    with pytest.raises(CheckpointConflict):
        sink.write(signer.sign(4, h(44), T))

    assert sorted(os.listdir(tmp_path)) == [f"checkpoint-{seq:020d}.json" for seq in range(1, 6)]


# --- contradictions ----------------------------------------------------------------------------------------

LOG = {seq: h(seq) for seq in range(1, 6)}  # a log of five entries


def _source(seq: int) -> str:
    return f"/checkpoints/checkpoint-{seq:020d}.json"


def test_contradictions_consistent(signer: Signer) -> None:
    cps = [(_source(s), signer.sign(s, LOG[s] if s else GENESIS_HASH, T)) for s in (0, 2, 5)]
    cps.append(("witness", signer.sign(5, LOG[5], T)))
    assert contradictions(cps, signer.public_key, log_length=5, hash_at=LOG) == []
    # Seq 0 is consistent with the empty log as well.
    assert contradictions(cps[:1], signer.public_key, log_length=0, hash_at={}) == []


def test_contradictions_truncated(signer: Signer) -> None:
    cp = signer.sign(5, LOG[5], T)
    # Entries 4 and 5 were deleted: the log ends at 3, its hash there is as signed in the earlier checkpoint.
    cps = [(_source(5), cp), (_source(3), signer.sign(3, LOG[3], T))]
    problems = contradictions(cps, signer.public_key, log_length=3, hash_at={3: LOG[3]})
    assert problems == [
        CheckpointProblem(seq=5, time="2026-01-02T03:04:05.000006Z", source=_source(5), reason=TRUNCATED)
    ]
    assert problems[0].as_dict() == {
        "seq": 5, "time": "2026-01-02T03:04:05.000006Z", "source": _source(5), "reason": TRUNCATED,
    }


def test_contradictions_rewritten(signer: Signer) -> None:
    # Entry 2 was edited and the chain recomputed from there: hashes from 2 on differ from the signed ones.
    rewritten = {**LOG, 2: h(22), 3: h(33), 4: h(44), 5: h(55)}
    cps = [("witness", signer.sign(4, LOG[4], T)), (_source(1), signer.sign(1, LOG[1], T))]
    assert contradictions(cps, signer.public_key, log_length=5, hash_at=rewritten) == [
        CheckpointProblem(seq=4, time="2026-01-02T03:04:05.000006Z", source="witness", reason=REWRITTEN)
    ]
    # A hash the caller did not fetch counts as different, not as consistent.
    assert contradictions(cps[:1], signer.public_key, log_length=5, hash_at={}) == [
        CheckpointProblem(seq=4, time="2026-01-02T03:04:05.000006Z", source="witness", reason=REWRITTEN)
    ]


def test_contradictions_bad_signature(signer: Signer) -> None:
    forged = replace(signer.sign(5, LOG[5], T), seq=9)
    other_key = Signer(Ed25519PrivateKey.generate()).sign(5, LOG[5], T)
    tampered = replace(signer.sign(2, LOG[2], T), hash=h(22))
    cps = [(_source(9), forged), ("witness", other_key), (_source(2), tampered)]
    # Only the signature is reported: seq 9 beyond the log and h(22) are not compared, as nothing was signed.
    assert contradictions(cps, signer.public_key, log_length=5, hash_at=LOG) == [
        CheckpointProblem(seq=2, time="2026-01-02T03:04:05.000006Z", source=_source(2), reason=BAD_SIGNATURE),
        CheckpointProblem(seq=5, time="2026-01-02T03:04:05.000006Z", source="witness", reason=BAD_SIGNATURE),
        CheckpointProblem(seq=9, time="2026-01-02T03:04:05.000006Z", source=_source(9), reason=BAD_SIGNATURE),
    ]


# --- the witness sink ---------------------------------------------------------------------------------------


def _witness(
    statuses: list[int | Exception], *, attempts: int = 3, timeout: float = 5.0
) -> tuple[WitnessSink, list[httpx.Request], httpx.AsyncClient]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        outcome = statuses[min(len(requests), len(statuses)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    sink = WitnessSink(WITNESS, attempts=attempts, timeout=timeout, backoff=0.001, client=client)
    return sink, requests, client


async def test_witness_posts_the_json(signer: Signer) -> None:
    sink, requests, client = _witness([201])
    cp = signer.sign(5, h(5), T)

    assert await sink.write(cp) is True

    assert len(requests) == 1
    assert requests[0].method == "POST"
    assert str(requests[0].url) == WITNESS
    assert requests[0].headers["content-type"] == "application/json"
    assert json.loads(requests[0].content) == cp.as_json()
    await sink.close()
    assert not client.is_closed  # the caller's client is the caller's to close
    await client.aclose()


async def test_witness_retries_then_succeeds(signer: Signer) -> None:
    sink, requests, client = _witness([503, httpx.ConnectError("refused"), 200])
    assert await sink.write(signer.sign(5, h(5), T)) is True
    assert len(requests) == 3
    await client.aclose()


async def test_witness_gives_up_without_raising(signer: Signer, caplog: pytest.LogCaptureFixture) -> None:
    sink, requests, client = _witness([503])
    with caplog.at_level(logging.WARNING, logger="app.audit.checkpoints"):
        assert await sink.write(signer.sign(5, h(5), T)) is False

    assert len(requests) == 3
    [warning] = [r for r in caplog.records if r.name == "app.audit.checkpoints"]
    assert warning.levelno == logging.WARNING
    assert warning.__dict__["reason"] == "HTTP 503"
    assert warning.__dict__["checkpoint_seq"] == 5
    assert WITNESS not in warning.getMessage()  # the URL may hold a token
    await client.aclose()


async def test_witness_does_not_retry_a_refusal(signer: Signer) -> None:
    sink, requests, client = _witness([409, 200])
    assert await sink.write(signer.sign(5, h(5), T)) is False
    assert len(requests) == 1
    await client.aclose()


async def test_witness_transport_errors_do_not_raise(signer: Signer) -> None:
    sink, requests, client = _witness([httpx.ConnectError("refused")], attempts=2)
    assert await sink.write(signer.sign(5, h(5), T)) is False
    assert len(requests) == 2
    await client.aclose()


async def test_witness_cuts_off_a_slow_witness(signer: Signer) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200)

    client = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    sink = WitnessSink(WITNESS, attempts=2, timeout=0.05, backoff=0.001, client=client)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await sink.write(signer.sign(5, h(5), T)) is False
    assert loop.time() - started < 2
    await client.aclose()


async def test_witness_closes_its_own_client() -> None:
    sink = WitnessSink(WITNESS)
    await sink.close()
    assert sink._client.is_closed
