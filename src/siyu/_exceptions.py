"""The one exception tree of siyu.

Every error siyu raises on purpose derives from :class:`SiyuError`; adapters map
it once to an exit code (CLI) and once to an HTTP status (API)::

    SiyuError
    ├── ConfigError          bad or unknown setting in siyu.toml / arguments
    ├── WorkspaceError       workspace missing, already present, unreadable
    ├── ValidationError      an input file breaks the data contract (file, row, column, rule)
    ├── InsufficientDataError  not enough data for a metric or model
    ├── EngineError          the chosen engine cannot do this (a write on Spark, a model not covered there)
    └── NotFittedError       a model used before ``fit`` (also a ``ValueError``)
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "EngineError",
    "InsufficientDataError",
    "NotFittedError",
    "SiyuError",
    "ValidationError",
    "WorkspaceError",
]


class SiyuError(Exception):
    """Root of every error siyu raises on purpose."""

    exit_code: int = 1
    http_status: int = 500


class ConfigError(SiyuError):
    """A configuration value or command argument is invalid."""

    exit_code = 78  # EX_CONFIG
    http_status = 400


class WorkspaceError(SiyuError):
    """The workspace is missing, already exists, or cannot be opened."""

    exit_code = 66  # EX_NOINPUT
    http_status = 404


class ValidationError(SiyuError):
    """An input file breaks the data contract.

    Parameters
    ----------
    file : str
        Path of the offending file.
    rule : str
        The rule that was broken, in words.
    row : int, optional
        1-based data row (header excluded) of the first offending row.
    column : str, optional
        Column concerned.
    value : object, optional
        The offending value (personal data is masked before it gets here).
    """

    exit_code = 65  # EX_DATAERR
    http_status = 422

    def __init__(self, file: str, rule: str, *, row: int | None = None,
                 column: str | None = None, value: object = None) -> None:
        self.file, self.rule, self.row, self.column, self.value = file, rule, row, column, value
        parts = [f"file {file}"]
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column!r}")
        if value is not None:
            parts.append(f"value {str(value)[:80]!r}")
        super().__init__(", ".join(parts) + f": {rule}")

    def as_dict(self) -> dict:
        """The error as a JSON-ready mapping."""
        return {"file": self.file, "row": self.row, "column": self.column,
                "value": None if self.value is None else str(self.value), "rule": self.rule}


class InsufficientDataError(SiyuError):
    """The data are too few or too short for the requested computation."""

    exit_code = 65
    http_status = 422


class EngineError(SiyuError):
    """The chosen engine cannot do this: a write on a read-only engine (Spark), a model it does not cover, or a
    query the engine failed to run (its message, never its stack trace)."""

    exit_code = 69  # EX_UNAVAILABLE
    http_status = 501


class NotFittedError(SiyuError, ValueError):
    """A model was used before ``fit`` was called."""

    exit_code = 1
    http_status = 409
