"""Reading a TOML definition file into a pydantic model, with errors that name the file and the key.

Campaigns (:mod:`siyu.reach.campaign`), tier programs (:mod:`siyu.loyalty.program`) and offers
(:mod:`siyu.offers.model`) are TOML files a merchant writes by hand; a mistake is reported as
``spring.toml: tiers[1].threshold: must be above tiers[0]'s`` and the command exits 78 (:class:`ConfigError`).
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from siyu._exceptions import ConfigError

__all__ = ["error_location", "json_table", "load_toml_model", "local_timestamp", "read_toml"]

M = TypeVar("M", bound=BaseModel)


def error_location(loc: tuple[Any, ...]) -> str:
    """Pydantic's error location as a key path: ``("tiers", 1, "keep")`` → ``tiers[1].keep``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """The parsed TOML file at ``path``.

    Raises
    ------
    ConfigError
        Naming the file when it cannot be read or is not TOML (``what`` names the kind of file).
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_toml_model(source: str | Path | dict[str, Any], model: type[M], what: str) -> M:
    """Validate ``source`` (a TOML file's path, or the parsed mapping) as ``model``.

    Raises
    ------
    ConfigError
        Naming the file (or ``what`` for a mapping) and each bad key with pydantic's message.
    """
    if isinstance(source, dict):
        data, where = source, what
    else:
        data, where = read_toml(source, what), str(source)
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        msgs = "; ".join((f"{error_location(e['loc'])}: " if e["loc"] else "")
                         + e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise ConfigError(f"{where}: {msgs}") from None


def local_timestamp(v: Any) -> Any:
    """A pydantic ``before`` validator's value for a local timestamp: a TOML local date-time, a date (its midnight),
    or text ``YYYY-MM-DD HH:MM[:SS]``; a time zone is refused (times are the workspace's wall-clock time)."""
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        raise ValueError("give local wall-clock time of the workspace without a zone")
    if isinstance(v, str):
        try:
            out = dt.datetime.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"not a local timestamp (YYYY-MM-DD HH:MM): {v!r}") from None
        if out.tzinfo is not None:
            raise ValueError("give local wall-clock time of the workspace without a zone")
        return out
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime.combine(v, dt.time())
    return v


def json_table(v: Any) -> Any:
    """A pydantic ``before`` validator's value for a key that takes a table: text starting with ``{`` is parsed as
    JSON (an audience tree written as a string); anything else is returned as it is."""
    if isinstance(v, str) and v.lstrip().startswith("{"):
        try:
            return json.loads(v)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    return v
