"""The worker starts itself again with glibc's malloc tuned for the model (aitasks/malloc_tuning.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aitasks.malloc_tuning import TUNABLES, tuned_environment

ROOT = Path(__file__).resolve().parent.parent
# A program that calls reexec_tuned as manage.py does, then says what glibc was started with.
PROGRAM = """
import os, sys
sys.path.insert(0, {root!r})
from aitasks.malloc_tuning import reexec_tuned
print("start", os.getpid(), flush=True)
reexec_tuned(sys.argv)
print("tunables", repr(os.environ.get("GLIBC_TUNABLES")), os.getpid())
"""


def run(tmp_path: Path, environ: dict[str, str]) -> list[str]:
    program = tmp_path / "program.py"
    program.write_text(PROGRAM.format(root=str(ROOT)))
    done = subprocess.run([sys.executable, str(program)], env=environ, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc tunables are Linux's")
def test_the_program_starts_again_with_the_tunables(tmp_path: Path) -> None:
    environ = {key: value for key, value in os.environ.items() if key != "GLIBC_TUNABLES"}
    lines = run(tmp_path, environ)
    assert len([line for line in lines if line.startswith("start")]) == 2  # started twice (exec keeps the pid)
    assert lines[-1].startswith(f"tunables {TUNABLES!r}")


def test_tunables_set_by_the_operator_win(tmp_path: Path) -> None:
    lines = run(tmp_path, {**os.environ, "GLIBC_TUNABLES": ""})
    assert len([line for line in lines if line.startswith("start")]) == 1
    assert lines[-1].startswith("tunables ''")
    assert tuned_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"}) == {
        "GLIBC_TUNABLES": "glibc.malloc.arena_max=4"
    }
    assert tuned_environment({"PATH": "/bin"}) == {"PATH": "/bin", "GLIBC_TUNABLES": TUNABLES}
