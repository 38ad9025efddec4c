"""Loading handler functions from a handler spec.

A spec is ``path/to/file.py:function`` (a file, loaded under a private module name with its
directory first on ``sys.path``, as Lambda puts the code directory first) or
``package.module:function`` (imported normally). Loading is cached per spec and process so a warm
worker does not re-import user code on every invocation.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["HandlerLoadError", "load_handler", "split_spec"]

_lock = threading.Lock()
_cache: dict[str, Callable[..., Any]] = {}


class HandlerLoadError(Exception):
    """The handler spec does not name a loadable callable."""


def split_spec(spec: str) -> tuple[str, str]:
    """``"a/b.py:fn"`` -> ``("a/b.py", "fn")``; a missing ``:fn`` defaults to ``handler``."""
    if not spec or not spec.strip():
        raise HandlerLoadError("empty handler spec")
    module, sep, attr = spec.rpartition(":")
    if not sep:
        return spec, "handler"
    if not module or not attr:
        raise HandlerLoadError(f"invalid handler spec {spec!r}: expected FILE.py:function")
    return module, attr


def load_handler(spec: str) -> Callable[..., Any]:
    """Returns the callable named by ``spec`` (cached)."""
    with _lock:
        cached = _cache.get(spec)
        if cached is not None:
            return cached
        module_part, attr = split_spec(spec)
        module = _load_module(module_part)
        try:
            fn = getattr(module, attr)
        except AttributeError as err:
            raise HandlerLoadError(f"handler {attr!r} not found in {module_part!r}") from err
        if not callable(fn):
            raise HandlerLoadError(f"{spec!r} is not callable")
        handler: Callable[..., Any] = fn
        _cache[spec] = handler
        return handler


def _load_module(module_part: str) -> Any:
    if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
        path = Path(module_part).expanduser().resolve()
        if not path.is_file():
            raise HandlerLoadError(f"handler file not found: {module_part}")
        code_dir = str(path.parent)
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
        name = f"_dl_handler_{path.stem}_{digest}"
        existing = sys.modules.get(name)
        if existing is not None:
            return existing
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise HandlerLoadError(f"cannot load {module_part}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            del sys.modules[name]
            raise HandlerLoadError(
                f"error importing {module_part}: {type(err).__name__}: {err}"
            ) from err
        return module
    try:
        return importlib.import_module(module_part)
    except ImportError as err:
        raise HandlerLoadError(f"cannot import module {module_part!r}: {err}") from err
