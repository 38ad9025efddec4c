"""style.md §8: modules aim for 400 lines; 800 is the hard limit."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HARD_LIMIT = 800


def test_no_module_exceeds_the_hard_limit() -> None:
    too_long = {
        str(path.relative_to(ROOT)): n
        for path in sorted((ROOT / "src").rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > HARD_LIMIT
    }
    assert too_long == {}
