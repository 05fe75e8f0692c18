"""siyu (私域): private-domain customer operations for e-commerce merchants.

``import siyu`` is cheap: it opens no database and imports no web stack; the
public names below are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "ConfigError": "siyu._exceptions",
    "EngineError": "siyu._exceptions",
    "InsufficientDataError": "siyu._exceptions",
    "ModelConfig": "siyu.config",
    "NotFittedError": "siyu._exceptions",
    "SiyuConfig": "siyu.config",
    "SiyuError": "siyu._exceptions",
    "ValidationError": "siyu._exceptions",
    "Workspace": "siyu.workspace",
    "WorkspaceError": "siyu._exceptions",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'siyu' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
