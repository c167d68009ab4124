"""The README's promises: its test command is what CI runs, and the code is lint-clean."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    head = (REPO / "README.md").read_text(encoding="utf-8").split("---", 1)[0]
    return [m.strip() for m in re.findall(r"^    (\S.*)$", head, flags=re.MULTILINE)]


def test_readme_opens_with_the_two_commands():
    run_demo, run_tests = _readme_commands()
    assert "mapkit generate --city demo" in run_demo
    assert "pytest" in run_tests


def test_ci_runs_the_readme_test_command_verbatim():
    run_tests = _readme_commands()[1]
    assert run_tests in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", str(REPO)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
