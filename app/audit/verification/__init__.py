"""Verifying the audit hash chain: every entry's hash recomputed, the first broken entry named.

The result is defined by the straightforward check (`reference`, used on SQLite): rows in seq order
from seq 1, each must have the next seq, carry the previous entry's hash as `prev_hash`, and hash to its
stored `hash` with `hash_chain.entry_hash`; finally the chain head must name the last entry.

On PostgreSQL the same check runs much faster, with the same result: the rows are read as COPY text
and hashed through a byte template (`copy_stream`), the seq range is cut into chunks checked by worker
processes (`pool`, `worker`), and the chunks' results are merged in seq order (`result`). `chain` holds
the entry points and the coordination, `connection` the asyncpg connection details.

Importing this package does not import SQLAlchemy (`casusregie verify-audit` on PostgreSQL and the
worker processes do without it); `reference` does, and is imported when `verify_chain` needs it.
"""

from app.audit.verification.chain import CHUNK_ROWS, PARALLEL_MIN_ENTRIES, verify_chain, verify_database
from app.audit.verification.pool import WorkerPool, default_workers
from app.audit.verification.result import BAD_HEAD, BAD_PREV, CHANGED, GAP, Segment, Verification

__all__ = [
    "BAD_HEAD",
    "BAD_PREV",
    "CHANGED",
    "CHUNK_ROWS",
    "GAP",
    "PARALLEL_MIN_ENTRIES",
    "Segment",
    "Verification",
    "WorkerPool",
    "default_workers",
    "verify_chain",
    "verify_database",
]
