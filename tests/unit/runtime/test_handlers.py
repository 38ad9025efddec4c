"""Handler spec loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from durable_lambda_server.runtime.handlers import HandlerLoadError, load_handler, split_spec


def test_split_spec_defaults_to_handler() -> None:
    assert split_spec("app.py") == ("app.py", "handler")
    assert split_spec("pkg.mod:fn") == ("pkg.mod", "fn")


@pytest.mark.parametrize("spec", ["", "   ", ":fn", "app.py:"])
def test_split_spec_rejects_malformed(spec: str) -> None:
    with pytest.raises(HandlerLoadError):
        split_spec(spec)


def test_loads_function_from_file_and_caches(tmp_path: Path) -> None:
    app = tmp_path / "myapp.py"
    app.write_text("calls = []\ndef handler(event, context):\n    return event\n")
    fn = load_handler(f"{app}:handler")
    assert fn({"a": 1}, None) == {"a": 1}
    assert load_handler(f"{app}:handler") is fn


def test_file_directory_is_importable_by_the_handler(tmp_path: Path) -> None:
    (tmp_path / "helper_mod_xyz.py").write_text("VALUE = 41\n")
    app = tmp_path / "app_with_helper.py"
    app.write_text(
        "import helper_mod_xyz\ndef handler(e, c):\n    return helper_mod_xyz.VALUE + 1\n"
    )
    assert load_handler(f"{app}:handler")(None, None) == 42


def test_errors_are_handler_load_errors(tmp_path: Path) -> None:
    with pytest.raises(HandlerLoadError, match="not found"):
        load_handler(f"{tmp_path}/missing.py:handler")
    broken = tmp_path / "broken_app.py"
    broken.write_text("raise RuntimeError('boom at import')\n")
    with pytest.raises(HandlerLoadError, match="boom at import"):
        load_handler(f"{broken}:handler")
    ok = tmp_path / "ok_app.py"
    ok.write_text("x = 1\n")
    with pytest.raises(HandlerLoadError, match="not found"):
        load_handler(f"{ok}:handler")
    with pytest.raises(HandlerLoadError, match="not callable"):
        load_handler(f"{ok}:x")
    with pytest.raises(HandlerLoadError, match="cannot import"):
        load_handler("no_such_module_abc:handler")
