"""Test setup: the package from this checkout, and the real framestream server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import ServerProcess  # noqa: E402


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """One real server for a module's tests; each test closes its producer before the next."""
    proc = ServerProcess()
    try:
        yield proc
    finally:
        proc.stop()
