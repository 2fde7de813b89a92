"""Signed checkpoints of the audit log, kept outside the database (as Certificate Transparency's signed tree heads).

The hash chain proves that the log is internally consistent, but whoever can write the database can also delete
its newest entries, or edit an entry and recompute every hash after it: the result is again a valid chain. A
checkpoint ("the entry at seq N has hash H, at time T") signed with an Ed25519 key held outside the database, and
stored outside it (an append-only directory, an HTTP witness), pins the log's prefix up to N. Deleting the newest
entries, or recomputing the chain after an edit, contradicts the newest checkpoint taken after those entries, and
`contradictions` says which and how. The window is the checkpoint interval: entries chained after the newest
checkpoint are protected only by the chain and the database's triggers. Nothing here helps against someone who
holds the signing key, or who can also remove the checkpoints (hence a witness on another machine).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.audit.hash_chain import GENESIS_HASH, canonical_time
from app.config import ConfigError, Settings

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "casusregie-audit-checkpoint/v1"

_HASH_RE = re.compile(r"[0-9a-f]{64}")
_KEY_ID_RE = re.compile(r"[0-9a-f]{16}")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # canonical_time's output
_SIGNATURE_BYTES = 64
_JSON_KEYS = frozenset({"format", "seq", "hash", "time", "key_id", "signature"})
_FILE_RE = re.compile(r"checkpoint-(\d{20})\.json")


class CheckpointFormatError(ValueError):
    """A checkpoint document is not one this module wrote (or it was altered into nonsense)."""


class CheckpointConflict(RuntimeError):
    """A checkpoint for this seq exists with another hash (or cannot be read): a fork. Evidence is never
    overwritten."""


def _claim_problem(seq: object, hash: object) -> str | None:
    """Why (seq, hash) is not a claim a checkpoint can make, or None."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return "seq must be a non-negative integer"
    if not isinstance(hash, str) or not _HASH_RE.fullmatch(hash):
        return "hash must be 64 lowercase hex characters"
    if seq == 0 and hash != GENESIS_HASH:
        return "seq 0 (the empty log) must carry the genesis hash"
    return None


def _signed_bytes(seq: int, hash: str, time: datetime) -> bytes:
    return f"{CHECKPOINT_FORMAT}\n{seq}\n{hash}\n{canonical_time(time)}\n".encode()


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str  # hex sha256 of the chain entry at seq (GENESIS_HASH when seq == 0)
    time: datetime  # UTC, when signed
    key_id: str  # first 16 hex characters of sha256(raw 32-byte public key)
    signature: str  # base64 (standard, padded) Ed25519 signature over signed_bytes()

    def signed_bytes(self) -> bytes:
        """What the signature covers: the format (no cross-protocol reuse), seq, hash and time; one per line."""
        return _signed_bytes(self.seq, self.hash, self.time)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "seq": self.seq,
            "hash": self.hash,
            "time": canonical_time(self.time),
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        """Strict: a document that is not exactly what `as_json` writes is refused, not guessed at."""
        if not isinstance(data, dict):
            raise CheckpointFormatError("a checkpoint is a JSON object")
        keys = set(data)
        if keys != _JSON_KEYS:
            missing, extra = sorted(_JSON_KEYS - keys), sorted(str(k) for k in keys - _JSON_KEYS)
            raise CheckpointFormatError(f"checkpoint fields: missing {missing}, unexpected {extra}")
        if data["format"] != CHECKPOINT_FORMAT:
            raise CheckpointFormatError(f"format is not {CHECKPOINT_FORMAT}")
        problem = _claim_problem(data["seq"], data["hash"])
        if problem:
            raise CheckpointFormatError(problem)
        time = _parse_time(data["time"])
        key_id = data["key_id"]
        if not isinstance(key_id, str) or not _KEY_ID_RE.fullmatch(key_id):
            raise CheckpointFormatError("key_id must be 16 lowercase hex characters")
        signature = data["signature"]
        if not isinstance(signature, str) or len(_decode_signature(signature) or b"") != _SIGNATURE_BYTES:
            raise CheckpointFormatError("signature must be 64 bytes in padded standard base64")
        return cls(seq=data["seq"], hash=data["hash"], time=time, key_id=key_id, signature=signature)


def _parse_time(value: object) -> datetime:
    # Only canonical_time's own form: the signature covers that text, so any other spelling would not verify.
    if isinstance(value, str):
        try:
            parsed = datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            pass
        else:
            if canonical_time(parsed) == value:
                return parsed
    raise CheckpointFormatError("time must be RFC 3339 UTC with microseconds, as 2026-01-02T03:04:05.000006Z")


def _decode_signature(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """Names the key in each checkpoint, so a verifier holding another key says so instead of 'forged'."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_from_pem(pem: str | bytes) -> Ed25519PublicKey:
    """The verifier's key (SubjectPublicKeyInfo PEM). Anything else is a configuration mistake: ConfigError."""
    data = pem.encode("ascii", errors="replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"the audit public key is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"the audit public key must be Ed25519, not {type(key).__name__}")
    return key


def signature_valid(cp: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    """Whether `public_key` signed exactly this seq, hash and time. Never raises on a malformed checkpoint."""
    if cp.key_id != key_id_of(public_key):
        return False
    if _claim_problem(cp.seq, cp.hash) or not isinstance(cp.time, datetime):
        return False
    signature = _decode_signature(cp.signature) if isinstance(cp.signature, str) else None
    if signature is None or len(signature) != _SIGNATURE_BYTES:
        return False
    try:
        public_key.verify(signature, cp.signed_bytes())
    except InvalidSignature:
        return False
    return True


class Signer:
    """Holds the Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._public_key = private_key.public_key()
        self._key_id = key_id_of(self._public_key)

    @classmethod
    def from_pem_file(cls, path: Path) -> Signer:
        """The operator's key (unencrypted PEM): a missing or wrong key stops start-up rather than signing nothing."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"the audit signing key {path} does not exist") from None
        except OSError as exc:
            raise ConfigError(f"the audit signing key {path} cannot be read: {exc.strerror}") from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # TypeError: an encrypted key (no password is configured). The message of either names no key bytes.
            raise ConfigError(f"the audit signing key {path} is not an unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"the audit signing key {path} must be an Ed25519 key, not {type(key).__name__}")
        return cls(key)

    @classmethod
    def load_or_generate(cls, path: Path) -> Signer:
        """Development: one key per checkpoint directory, kept across restarts. Written to a temporary file and
        linked into place, so two processes starting together end up with the same key."""
        if path.exists():
            return cls.from_pem_file(path)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            _link_new_file(path, pem, mode=0o600)
        except FileExistsError:
            return cls.from_pem_file(path)  # another process was first: use its key
        log.info("generated a development audit signing key", extra={"key_id": key_id_of(key.public_key())})
        return cls(key)

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._public_key

    def public_key_pem(self) -> str:
        return self._public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def sign(self, seq: int, hash: str, time: datetime) -> Checkpoint:
        """A checkpoint for the entry at `seq` with `hash`; `time` (naive means UTC) is kept in UTC."""
        problem = _claim_problem(seq, hash)
        if problem:
            raise ValueError(problem)
        time = (time if time.tzinfo else time.replace(tzinfo=UTC)).astimezone(UTC)
        signature = self._private_key.sign(_signed_bytes(seq, hash, time))
        return Checkpoint(
            seq=seq, hash=hash, time=time, key_id=self._key_id, signature=base64.b64encode(signature).decode("ascii")
        )


def load_signer(settings: Settings) -> Signer | None:
    """The configured key; in development without one, a generated key; in production without one, None
    (production_problems refuses to start then)."""
    if settings.audit_signing_key is not None:
        return Signer.from_pem_file(settings.audit_signing_key)
    if settings.env == "development":
        path = settings.effective_signing_key
        if path is not None:
            return Signer.load_or_generate(path)
    return None


def _fsync_directory(directory: Path) -> None:
    # The link is durable only once the directory is; not every platform can open a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _link_new_file(path: Path, content: bytes, *, mode: int) -> None:
    """Create `path` with `content`, complete or not at all, and never replace an existing file: written to a
    temporary file in the same directory, fsynced, then hard-linked (FileExistsError if `path` exists)."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.link(temp_name, path)
    finally:
        os.unlink(temp_name)
    _fsync_directory(path.parent)


def _encode(cp: Checkpoint) -> bytes:
    return (json.dumps(cp.as_json(), indent=2, sort_keys=True) + "\n").encode("utf-8")


def _read_checkpoint(path: Path) -> tuple[Checkpoint | None, str]:
    """The checkpoint in `path`, or None and why not (a short reason: no file contents)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror}"
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, "not JSON"
    try:
        cp = Checkpoint.from_json(data)
    except CheckpointFormatError as exc:
        return None, f"not a checkpoint: {exc}"
    match = _FILE_RE.fullmatch(path.name)
    if match and int(match.group(1)) != cp.seq:
        return None, f"the file name says seq {int(match.group(1))}, the checkpoint says {cp.seq}"
    return cp, ""


def seq_of_file(path: Path) -> int | None:
    """The seq a checkpoint file's name claims, or None for a name that is not a checkpoint's."""
    match = _FILE_RE.fullmatch(path.name)
    return int(match.group(1)) if match else None


class DirectorySink:
    """Append-only directory: one file per checkpoint, `checkpoint-{seq:020d}.json`, never overwritten."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, seq: int) -> Path:
        return self.directory / f"checkpoint-{seq:020d}.json"

    def write(self, cp: Checkpoint) -> bool:
        """True when written; False when this seq and hash are on file already. A file for this seq with another
        hash (or that cannot be read) raises CheckpointConflict and stays as it is."""
        path = self.path_for(cp.seq)
        if os.path.lexists(path):
            return self._already_there(path, cp)
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            _link_new_file(path, _encode(cp), mode=0o444)  # read-only: nobody here means to change it
        except FileExistsError:
            return self._already_there(path, cp)  # another writer was first
        return True

    @staticmethod
    def _already_there(path: Path, cp: Checkpoint) -> bool:
        existing, reason = _read_checkpoint(path)
        if existing is None:
            raise CheckpointConflict(f"{path} exists but {reason}; it is kept as it is")
        if existing.hash != cp.hash:
            raise CheckpointConflict(f"{path} already signs seq {cp.seq} with another hash: the log forked")
        return False

    def _files(self) -> list[Path]:
        """The checkpoint files by seq (zero-padded names sort by seq); temporary files are not among them."""
        return sorted(path for path in self.directory.iterdir() if _FILE_RE.fullmatch(path.name))

    def read_all(self) -> tuple[list[tuple[Path, Checkpoint]], list[tuple[Path, str]]]:
        """(checkpoints by seq, files that cannot be read with the reason). A missing directory holds none; a
        directory that cannot be listed is itself reported, since silence would read as 'no checkpoints'."""
        try:
            files = self._files()
        except FileNotFoundError:
            return [], []
        except OSError as exc:
            return [], [(self.directory, f"the checkpoint directory cannot be read: {exc.strerror}")]
        readable: list[tuple[Path, Checkpoint]] = []
        unreadable: list[tuple[Path, str]] = []
        for path in files:
            cp, reason = _read_checkpoint(path)
            if cp is None:
                unreadable.append((path, reason))
            else:
                readable.append((path, cp))
        readable.sort(key=lambda item: item[1].seq)
        return readable, unreadable

    def latest(self) -> Checkpoint | None:
        """The readable checkpoint with the highest seq (signature not checked), reading from the newest file
        down rather than every file."""
        try:
            files = self._files()
        except FileNotFoundError:
            return None
        for path in reversed(files):
            cp, _ = _read_checkpoint(path)
            if cp is not None:
                return cp
        return None


_RETRY_STATUSES = frozenset({408, 425, 429})


class WitnessSink:
    """POSTs each checkpoint's JSON to an HTTP witness; retried with backoff; never blocks the chainer for long."""

    def __init__(
        self,
        url: str,
        *,
        attempts: int = 3,
        timeout: float = 5.0,
        backoff: float = 0.5,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url
        self.attempts = attempts
        self.timeout = timeout
        self.backoff = backoff
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)

    async def write(self, cp: Checkpoint) -> bool:
        """True when the witness answered 2xx. Otherwise a warning and False: the directory sink (or the next
        checkpoint) carries on, and a witness that is down must not stop the audit log. Each attempt is cut off
        after `timeout` seconds in all; between attempts it waits backoff, 2*backoff, ... A 4xx other than
        408/425/429 is not retried (a 409 may be the witness refusing a fork: it is in the warning)."""
        body = cp.as_json()
        reason = ""
        for attempt in range(1, self.attempts + 1):
            try:
                async with asyncio.timeout(self.timeout):
                    response = await self._client.post(self.url, json=body, timeout=self.timeout)
            except (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError) as exc:
                reason = type(exc).__name__
            else:
                if response.is_success:
                    return True
                reason = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code not in _RETRY_STATUSES:
                    break
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        # The URL is not logged: it may carry a token.
        log.warning(
            "the audit witness did not accept a checkpoint",
            extra={"checkpoint_seq": cp.seq, "attempts": attempt, "reason": reason},
        )
        return False

    async def close(self) -> None:
        """Closes the HTTP client if this sink made it (a client passed in belongs to the caller)."""
        if self._owns_client:
            await self._client.aclose()


TRUNCATED = "the log is shorter than this signed checkpoint (entries were removed from the end)"
REWRITTEN = "the log's hash at this checkpoint's seq differs from the signed one (history was rewritten)"
BAD_SIGNATURE = "the checkpoint's signature does not verify with the audit public key"
UNREADABLE = "the checkpoint file cannot be read"


@dataclass(frozen=True)
class CheckpointProblem:
    seq: int
    time: str  # rfc3339 of the checkpoint
    source: str  # file path or "witness"
    reason: str  # TRUNCATED, REWRITTEN, BAD_SIGNATURE or UNREADABLE

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "source": self.source, "reason": self.reason}


def contradictions(
    checkpoints: Sequence[tuple[str, Checkpoint]],
    public_key: Ed25519PublicKey,
    log_length: int,
    hash_at: Mapping[int, str],
) -> list[CheckpointProblem]:
    """Where the log contradicts what was signed, in seq order. A checkpoint that does not verify proves
    nothing either way (forged, or signed with another key): it is reported and not compared. Seq 0 is the
    empty log, a prefix of every log. `hash_at` holds the stored hash per seq for the checkpoints' seqs (the
    caller reads them after verifying the chain)."""
    problems: list[CheckpointProblem] = []
    for source, cp in sorted(checkpoints, key=lambda item: item[1].seq):
        reason: str | None = None
        if not signature_valid(cp, public_key):
            reason = BAD_SIGNATURE
        elif cp.seq > log_length:
            reason = TRUNCATED
        elif cp.seq > 0 and hash_at.get(cp.seq) != cp.hash:
            reason = REWRITTEN
        if reason is not None:
            problems.append(CheckpointProblem(seq=cp.seq, time=canonical_time(cp.time), source=source, reason=reason))
    return problems
