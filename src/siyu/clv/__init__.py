"""Customer lifetime value: Buy-Till-You-Die purchase models, Gamma-Gamma spend, CLV in money, validation.

One model per module with the scikit-learn contract (``fit`` returns ``self``, learned state ends in ``_``):
``BetaGeo`` (BG/NBD, Fader, Hardie & Lee 2005), ``ParetoNBD`` (Schmittlein, Morrison & Colombo 1987),
``ModifiedBetaGeo`` (MBG/NBD, Batislam, Denizel & Filiztekin 2007), ``BetaGeoBetaBinom`` (BG/BB, Fader, Hardie &
Shang 2010), ``GammaGamma`` (Fader, Hardie & Lee 2005; Colombo & Jiang 1999). Summaries come from DuckDB
(:func:`rfm_summary`). Names load on first use, so ``import siyu.clv`` imports no scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "BetaGeo": "siyu.clv.bgnbd",
    "BetaGeoBetaBinom": "siyu.clv.bgbb",
    "GammaGamma": "siyu.clv.gamma_gamma",
    "ModifiedBetaGeo": "siyu.clv.mbgnbd",
    "ParetoNBD": "siyu.clv.pnbd",
    "calibration_holdout": "siyu.clv.validation",
    "check_sufficiency": "siyu.clv.value",
    "clv": "siyu.clv.value",
    "conditional_expectations": "siyu.clv.validation",
    "discrete_summary": "siyu.clv.summary",
    "error_metrics": "siyu.clv.validation",
    "fit_model": "siyu.clv.runs",
    "holdout_check": "siyu.clv.runs",
    "holdout_tracking": "siyu.clv.validation",
    "make_model": "siyu.clv.runs",
    "parse_horizon": "siyu.clv.value",
    "predict": "siyu.clv.runs",
    "prediction_summary": "siyu.clv.runs",
    "rfm_summary": "siyu.clv.summary",
    "snapshot_part": "siyu.clv.runs",
    "stored_predictions": "siyu.clv.runs",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'siyu.clv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
