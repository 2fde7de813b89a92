"""The container starts in production and refuses to start without its keys (issue 12, findings 1 and 14).

No container engine runs here (nor in CI), so the image is not built; what it would run is: the final stage's
ENV and CMD are read from the Dockerfile itself and run as a real process with nothing else in the environment
but the database URL (and the image's /opt and /var paths mapped to this checkout and a temporary directory).
A change to the Dockerfile's ENV or CMD is what this test runs.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.serving import PROJECT_DIR

DOCKERFILE = PROJECT_DIR / "Dockerfile"


def _final_stage() -> tuple[dict[str, str], list[str]]:
    """The last stage's ENV (as docker reads `ENV a=b c=d \\` continuations) and its exec-form CMD."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    stage = text.split("\nFROM ")[-1]
    env: dict[str, str] = {}
    cmd: list[str] = []
    for line in stage.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))  # type: ignore[arg-type]
        elif word == "CMD":
            cmd = json.loads(rest)
    return env, cmd


def _run_image_command(tmp_path: Path, db_url: str, **extra: str) -> subprocess.CompletedProcess[str]:
    image_env, cmd = _final_stage()
    mapped = {k: v.replace("/opt/casusregie", str(PROJECT_DIR)).replace("/var/lib/casusregie", str(tmp_path))
              for k, v in image_env.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASUSREGIE_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env.update(mapped, CASUSREGIE_DATABASE_URL=db_url, **extra)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)


def test_the_image_says_production_and_serves_on_all_interfaces() -> None:
    env, cmd = _final_stage()
    assert env["CASUSREGIE_ENV"] == "production"
    assert cmd[:2] == ["sh", "-c"] and "casusregie serve --host 0.0.0.0" in cmd[2] and "--dev" not in cmd[2]
    assert "USER casusregie" in DOCKERFILE.read_text(encoding="utf-8").split("\nFROM ")[-1]


def test_the_image_command_refuses_to_start_without_its_keys(tmp_path: Path, db_url: str) -> None:
    done = _run_image_command(tmp_path, db_url)
    assert done.returncode != 0
    for setting in ("CASUSREGIE_JWKS", "CASUSREGIE_BSN_HASH_KEY", "CASUSREGIE_AUDIT_SIGNING_KEY"):
        assert setting in done.stderr, (setting, done.stderr[-2000:])
    assert "DEVELOPMENT MODE" not in done.stderr + done.stdout


def test_the_image_command_refuses_the_development_secret(tmp_path: Path, db_url: str) -> None:
    from app.config import DEV_JWT_SECRET

    done = _run_image_command(tmp_path, db_url, CASUSREGIE_JWT_SECRET=DEV_JWT_SECRET,
                              CASUSREGIE_BSN_HASH_KEY="a-private-key-of-at-least-32-bytes-0123456789")
    assert done.returncode != 0 and "refusing to start" in done.stderr, done.stderr[-2000:]
