"""ARCHITECTURE.md's "Where to look" table must name paths that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_where_to_look_paths_exist() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    section = text.split("## Where to look", 1)[1]
    paths = re.findall(r"`((?:src|tests|benchmarks)/[^`]*)`", section)
    assert len(paths) >= 15
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == []
