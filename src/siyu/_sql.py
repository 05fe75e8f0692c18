"""Named SQL models: ``.sql`` files under ``siyu/sql/`` with a header.

A model file starts with ``--`` header lines of the form ``-- key: value``
(``name``, ``grain``, ``params``, ``columns``, ``source``) followed by the query,
which uses DuckDB named parameters (``$as_of``). Each model has a golden data
test in ``tests/sql/`` (sqlmesh-style: input rows → expected rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["SqlModel", "list_models", "load_model"]


@dataclass(frozen=True)
class SqlModel:
    """A parsed SQL model file."""

    name: str
    header: dict[str, str]
    sql: str

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.header.get("params", "").split(",") if p.strip())

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.strip().split(" ")[0].strip('"') for c in self.header.get("columns", "").split(",") if c.strip())


@cache
def load_model(name: str) -> SqlModel:
    """Load ``siyu/sql/<name>.sql``."""
    text = resources.files("siyu").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        if ":" in body:
            k, v = body.split(":", 1)
            header[k.strip()] = (header.get(k.strip(), "") + " " + v.strip()).strip()
    if header.get("name") != name:
        raise ValueError(f"sql/{name}.sql: header name {header.get('name')!r} does not match the file name")
    return SqlModel(name, header, text)


def list_models() -> list[str]:
    """Names of every packaged SQL model."""
    return sorted(p.name[:-4] for p in resources.files("siyu").joinpath("sql").iterdir() if p.name.endswith(".sql"))
