"""Helpers for tests that need an optional package or tool.

Locally a missing one skips the test with the reason; when ``CI`` is set it fails the test,
so that CI can never pass by skipping what it was meant to run.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when ``CI`` is set."""
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str) -> ModuleType:
    """Import ``name``, or skip (fail in CI) naming the extra that provides it."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        unavailable(f"{name} is not installed ({e}); pip install -e '.[test]'")
        raise


def require_program(name: str) -> str:
    """The path of program ``name``, or skip (fail in CI)."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"the program {name!r} is not on PATH")
        raise AssertionError("unreachable")
    return path
