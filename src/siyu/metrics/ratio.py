"""The one ratio helper: ``numerator ÷ denominator``, or None when the denominator is 0 or missing."""

from __future__ import annotations

from typing import Any

__all__ = ["ratio", "ratio_parts"]


def ratio(numerator: Any, denominator: Any, *, growth: bool = False) -> Any:
    """``numerator / denominator`` (minus 1 when ``growth``); None when either is None or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    value = numerator / denominator
    return value - 1 if growth else value


def ratio_parts(numerator: Any, denominator: Any) -> dict[str, Any]:
    """``{"value", "numerator", "denominator"}`` so that every published share can be recomputed by hand."""
    return {"value": ratio(numerator, denominator), "numerator": numerator, "denominator": denominator}
