"""The README's operators' walk-through runs line by line on SQLite, as an operator types it.

The first two lines (making the virtual environment and activating it) are the operator's
setup; the test runs the rest with this interpreter's ``bin`` directory first on ``PATH``,
in a fresh directory holding a copy of the sample catalog and examples, with the loopback
SMTP server the walk-through starts itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _walkthrough() -> list[str]:
    section = README.split("### For operators", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert block, "the operators' section has no shell block"
    return block.group(1).splitlines()


def test_the_walkthrough_starts_with_the_setup_the_test_replaces() -> None:
    lines = _walkthrough()
    assert lines[0].startswith("python3 -m venv .venv")
    assert lines[1] == ". .venv/bin/activate"


@pytest.mark.slow
def test_the_operators_walkthrough_runs_line_by_line(tmp_path: Path) -> None:
    if shutil.which("onestop", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("the onestop console script is not installed next to this Python")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    script = "set -euo pipefail\n" + "\n".join(_walkthrough()[2:]) + "\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESTOP_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # The smtp server needs a moment to listen: the first step that mails retries anyway.
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ok: a portal started with this configuration would be safe" in output
    assert re.search(r"000\.00\.03\.H34-\d{6}-0001", output), output
    assert "sent 1," in output, output
    assert "audit trail intact" in output, output
    assert "dung@kontum.gov.vn" in output, output
