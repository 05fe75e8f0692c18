"""GAIN: the CLTV health model (4 dimensions, 12 indicators), its scores, trend and diagnosis.

Sources: ``docs/gain.md`` §GAIN (天猫快消 × 欧泰谱 2025 GAIN white paper press release [S14]; the
indicator formulas, windows and weights are siyu's PROP definitions in §The 12 indicators and §Scores there).
"""

from siyu.health.gain.diagnosis import ACTIONS, Action, diagnose
from siyu.health.gain.indicators import (
           DIMENSIONS,
           INDICATORS,
           Indicator,
           g3_by_channel,
           indicators_at,
)
from siyu.health.gain.scoring import gain, indicator_score, month_ends, trend

__all__ = ["ACTIONS", "Action", "DIMENSIONS", "INDICATORS", "Indicator", "diagnose", "g3_by_channel", "gain",
           "indicator_score", "indicators_at", "month_ends", "trend"]
