"""The README's Python snippets run, and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SNIPPETS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
# Snippets that print are complete programs and run; the others are configuration sketches
# (they need a mail server, a merchant contract, a web request) and are only compiled.
RUNNABLE = [snippet for snippet in SNIPPETS if "print(" in snippet]


def test_the_readme_has_a_python_example() -> None:
    assert RUNNABLE


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_every_snippet_is_valid_python(snippet: str) -> None:
    compile(snippet, "README.md", "exec")


@pytest.mark.parametrize("snippet", RUNNABLE)
def test_snippet_runs_and_prints_what_it_promises(
    snippet: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith("ONESTOP_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippet, "README.md", "exec"), {"__name__": "readme"})
    printed = out.getvalue()
    for text in promised_output(snippet):
        assert text in printed, f"README promises {text!r}; printed:\n{printed}"


def promised_output(snippet: str) -> list[str]:
    """The comment on a ``print(...)`` line, or on the comment line right after one."""
    promised: list[str] = []
    after_print = False
    for line in snippet.splitlines():
        _, _, comment = line.partition("  # ")
        if line.startswith("print(") and comment:
            promised.append(comment.strip())
        elif line.startswith("# ") and after_print:
            promised.append(line[2:].strip())
        after_print = line.startswith("print(")
    return promised
