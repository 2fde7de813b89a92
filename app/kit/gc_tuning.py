"""The garbage collector's settings for a serving process.

A served app has ~10^6 long-lived objects once FastAPI, pydantic, SQLAlchemy and the ladders are built. With
CPython's defaults every tenth young collection also walks the middle generation and every so often all of
them: pauses of tens of milliseconds land on whichever requests are waiting (the p99 of bench/), and a young
collection every 700 allocations is a measurable share of a request's CPU time. So, once the app is built:
`gc.freeze()` moves what exists to a permanent generation the collector no longer walks (it is never garbage:
modules, routes, compiled ladders, caches), and the young generation collects after 10 000 allocations instead
of 700. Cycles are still collected (memory stays bounded: bench/ "Memory"), just in fewer, shorter passes.

Only for `casusregie serve` (app/main.py `create_served_app`): a test process builds hundreds of apps, and
freezing each would keep every one of them for the life of the process.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
