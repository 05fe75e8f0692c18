"""Every contract table of a workspace written to one directory, one file per table (``siyu export --all``).

The directory is what a data lake holds for siyu (``<dir>/<table>.parquet``) and what ``siyu ingest`` loads
back (with ``unmask``: personal data in clear, else masked and not loadable). Files are first written into a
temporary sibling directory and moved into place only when every table is written, so a failure leaves the
target directory as it was (``docs/data.md`` §Export).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from siyu.engine.io import FORMATS

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["export_all"]

_EXT = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}


def export_all(ws: Workspace, directory: str | os.PathLike, fmt: str = "parquet", *,
               unmask: bool = False) -> dict[str, tuple[Path, int]]:
    """Write every contract table of ``ws`` to ``directory/<table>.<ext>``.

    Parameters
    ----------
    ws : Workspace
        The workspace to export.
    directory : str or Path
        Target directory (created if missing); files of other names in it are left alone.
    fmt : {"parquet", "csv", "jsonl"}
        File format of every table.
    unmask : bool, default False
        Write personal data in clear (for a round trip or a lake that holds it encrypted at rest).

    Returns
    -------
    dict
        Table name -> (file written, rows).
    """
    from siyu._exceptions import ConfigError
    from siyu.contract.schema import TABLES
    from siyu.engine.base import require

    require(ws.engine, "write", "export --all (from the workspace file)")
    if fmt not in FORMATS:
        raise ConfigError(f"unknown file format {fmt!r}; use one of {', '.join(FORMATS)}")
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} exists and is not a directory")
    target.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        rows = {name: ws.export(name, staged / f"{name}{_EXT[fmt]}", unmask=unmask) for name in TABLES}
        out = {}
        for name, n in rows.items():
            path = target / f"{name}{_EXT[fmt]}"
            os.replace(staged / path.name, path)
            out[name] = (path, n)
        return out
    finally:
        shutil.rmtree(staged, ignore_errors=True)
