"""Checking the chain against what holds it from outside the database, and what is still staged.

`verify_chain` proves the chain consistent with itself; that alone an insider with write access defeats
(delete the newest entries and set the head back, or edit one and recompute every later hash). Here the
verified chain is held against every signed checkpoint that can be read (app/audit/checkpoints.py): the
stored hash at each checkpoint's seq must be the signed one, and the log at least as long as the newest
checkpoint. The first contradiction makes the verification invalid and names the checkpoint.

The guarantee, exactly: every entry up to the newest checkpoint's seq is fixed by a signature made with a
key the database does not hold. Entries chained after it (at most one checkpoint interval, 1 s by default,
plus the chainer's lag) and entries still staged are protected by the database's triggers and the chain
only, until the next checkpoint.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.audit.checkpoints import (
    UNREADABLE,
    Checkpoint,
    CheckpointProblem,
    DirectorySink,
    Signer,
    contradictions,
    public_key_from_pem,
    seq_of_file,
)
from app.audit.hash_chain import canonical_time
from app.audit.models import AuditEntry, AuditStaged
from app.audit.verification import Verification
from app.config import ConfigError, Settings

NO_KEY = "checkpoints exist but no public key is configured to check them (CASUSREGIE_AUDIT_SIGNING_KEY)"


@dataclass(frozen=True)
class Anchors:
    """Where the checkpoints are and the key that checks them."""

    directory: Path | None
    public_key: Ed25519PublicKey | None

    @classmethod
    def from_settings(cls, settings: Settings, *, public_key_file: Path | None = None,
                      directory: Path | None = None) -> Anchors:
        """The configured directory and key: the signing key's public half (never generated here), or a
        public key PEM a third party was given (GET /v1/audit/public-key)."""
        key: Ed25519PublicKey | None = None
        if public_key_file is not None:
            key = public_key_from_pem(public_key_file.read_bytes())
        else:
            path = settings.effective_signing_key
            if path is not None and path.exists():
                key = Signer.from_pem_file(path).public_key
        return cls(directory if directory is not None else settings.effective_checkpoint_dir, key)

    def read(self) -> tuple[list[tuple[str, Checkpoint]], list[CheckpointProblem]]:
        if self.directory is None:
            return [], []
        found, unreadable = DirectorySink(self.directory).read_all()
        problems = [CheckpointProblem(seq=seq_of_file(path) or 0, time="", source=str(path),
                                      reason=f"{UNREADABLE}: {why}") for path, why in unreadable]
        return [(str(path), cp) for path, cp in found], problems


Executor = AsyncSession | AsyncConnection


async def _hashes_at(conn: Executor, seqs: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(seqs), 1000):
        chunk = seqs[i:i + 1000]
        rows = await conn.execute(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(chunk)))
        out.update({int(seq): str(digest) for seq, digest in rows})
    return out


async def staging_state(conn: Executor) -> tuple[int, float | None]:
    """How many entries wait to be chained, and the oldest one's age in seconds."""
    count, oldest = (await conn.execute(select(func.count(), func.min(AuditStaged.created_at)))).one()
    if oldest is None:
        return int(count), None
    oldest = oldest.replace(tzinfo=UTC) if oldest.tzinfo is None else oldest
    return int(count), max(0.0, (datetime.now(UTC) - oldest).total_seconds())


async def anchored(conn: Executor, chain: Verification, anchors: Anchors) -> Verification:
    """`chain` (verify_chain's verdict) held against the checkpoints, with the staging state added."""
    staged, oldest = await staging_state(conn)
    checkpoints, problems = await asyncio.to_thread(anchors.read)
    result = replace(chain, staged=staged, oldest_staged_age_seconds=oldest, checkpoints_checked=len(checkpoints))
    if checkpoints:
        newest = max((cp for _, cp in checkpoints), key=lambda cp: cp.seq)
        result = replace(result, newest_checkpoint={"seq": newest.seq, "time": canonical_time(newest.time)})
        if anchors.public_key is None:
            problems.append(CheckpointProblem(seq=newest.seq, time=canonical_time(newest.time),
                                              source=str(anchors.directory), reason=NO_KEY))
        else:
            hash_at = await _hashes_at(conn, sorted({cp.seq for _, cp in checkpoints if cp.seq > 0}))
            length = (await conn.execute(select(func.coalesce(func.max(AuditEntry.seq), 0)))).scalar_one()
            problems += contradictions(checkpoints, anchors.public_key, int(length), hash_at)
    if not problems:
        return result
    first = min(problems, key=lambda p: p.seq)
    contradicted: dict[str, Any] = first.as_dict()
    if not chain.valid:
        return replace(result, contradicted_checkpoint=contradicted)
    return replace(result, valid=False, first_invalid_seq=first.seq, first_invalid_id=None, reason=first.reason,
                   contradicted_checkpoint=contradicted)


def configured_anchors(settings: Settings) -> Anchors:
    try:
        return Anchors.from_settings(settings)
    except ConfigError:
        return Anchors(settings.effective_checkpoint_dir, None)


def public_key_pem(settings: Settings) -> tuple[str, str] | None:
    """(PEM, key id) of the checkpoint signing key, for GET /v1/audit/public-key."""
    path = settings.effective_signing_key
    if path is None or not path.exists():
        return None
    signer = Signer.from_pem_file(path)
    return signer.public_key_pem(), signer.key_id
