"""The served process's garbage collector (app/kit/gc_tuning.py): what exists once the app is built is frozen
and young collections are rarer; other processes (tests, the worker, commands) keep CPython's defaults.

Run as an operator runs it: a fresh interpreter with real environment variables, through the factory
`casusregie serve` names."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app import cli
from app.kit import gc_tuning
from tests.serving import PROJECT_DIR

PROBE = """
import gc, json
defaults = gc.get_threshold()
from app.main import create_served_app
create_served_app()
print(json.dumps({"defaults": defaults, "threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def test_the_served_app_freezes_what_it_built_and_collects_young_objects_less_often(tmp_path: object) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASUSREGIE_")}
    env.update(CASUSREGIE_ENV="development", CASUSREGIE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/gc.db",
               CASUSREGIE_LOG_LEVEL="ERROR")
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120,
                         check=True, cwd=PROJECT_DIR)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["threshold"][0] == gc_tuning.YOUNG_THRESHOLD > seen["defaults"][0]
    assert seen["threshold"][1:] == seen["defaults"][1:]
    # FastAPI, SQLAlchemy, pydantic and the ladders: hundreds of thousands of objects no collection walks again.
    assert seen["frozen"] > 100_000


def test_serve_runs_the_tuned_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    cli._serve("127.0.0.1", 8000, 1)
    assert seen["app"] == "app.main:create_served_app" and seen["factory"] is True


def test_the_test_process_keeps_the_defaults() -> None:
    # Tests build hundreds of apps with create_app: freezing each would keep them all alive.
    import gc

    assert gc.get_freeze_count() == 0
