"""What every chart shares: fonts, colours, axis formats, number formats and the common layout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siyu.assets import (
    STAGE_LABELS,
)
from siyu.contract.schema import CHANNEL_GROUP_LABELS, CHANNEL_GROUPS, CHANNEL_LABELS
from siyu.health.gain import INDICATORS

if TYPE_CHECKING:
    import plotly.graph_objects as go


FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
ORANGE = "#ff5000"
#: a count axis: ``69,675`` (never ``69.675k``)
COUNT_AXIS: dict[str, str] = {"tickformat": ",", "hoverformat": ","}
#: a money axis: ``¥69,675`` (never ``69.675k``)
MONEY_AXIS: dict[str, str] = {"tickformat": ",", "hoverformat": ",.2f", "tickprefix": "¥"}

#: AIPL stage -> colour (the funnel, the flow on both sides, the audience mix)
STAGE_COLORS: dict[str, str] = {"A": "#fdd0a2", "I": "#fd8d3c", "P": "#e6550d", "L": "#a63603", "none": "#bdbdbd"}
#: customer pool (``∅`` = in no customer pool) -> colour
POOL_COLORS: dict[str, str] = {"prospect": "#6baed6", "new": "#74c476", "old": "#e6550d", "lapsed": "#9e9ac8",
                               "∅": "#bdbdbd"}
#: one distinct colour per GAIN indicator (12), in the order of ``INDICATORS``
INDICATOR_COLORS: dict[str, str] = dict(zip(INDICATORS, (
    "#1f77b4", "#ff7f0e", "#2ca02c",   # G1 G2 G3
    "#d62728", "#9467bd", "#8c564b",   # A1 A2 A3
    "#e377c2", "#7f7f7f", "#bcbd22",   # I1 I2 I3
    "#17becf", "#393b79", "#b5651d",   # N1 N2 N3
), strict=True))
_INDICATOR_SYMBOLS = ("circle", "square", "diamond")

CHANNEL_GROUP_COLORS: dict[str, str] = {
    "onsite_free": ORANGE, "onsite_paid": "#ffa64d", "offsite_online": "#3182bd", "offsite_offline": "#31a354",
    "private_reach": "#756bb1", "other": "#969696", "unknown": "#cccccc",
}
#: the handbook's relationship-vs-大盘 multiples (docs/gain.md §Reference figures #2–#5)
HANDBOOK_MULTIPLES: dict[str, float] = {"revisit": 2.5, "browse_depth": 1.8, "kedanjia": 2.7, "repeat_rate": 1.37}
_MULTIPLE_LABELS = {"revisit": "回访率 revisit", "browse_depth": "逛店深度 browse depth",
                    "kedanjia": "客单价 spend/buyer", "repeat_rate": "复购率 repeat rate"}


# --- formatting ----------------------------------------------------------------------------------------------------

def count(n: float | None) -> str:
    """A count in full with thousands separators.

    Parameters
    ----------
    n : float or None
        The count.

    Returns
    -------
    str
        ``"69,675"`` (``"–"`` for None).
    """
    return "–" if n is None else f"{round(float(n)):,}"


def money(v: float | None, *, sign: bool = False) -> str:
    """An amount of money in yuan, rounded to the yuan, with thousands separators.

    Parameters
    ----------
    v : float or None
        The amount.
    sign : bool
        Print ``+`` before a positive amount (a change).

    Returns
    -------
    str
        ``"¥1,234"``, ``"+¥1,234"`` or ``"−¥1,234"`` (``"–"`` for None).
    """
    if v is None:
        return "–"
    v = float(v)
    text = f"¥{abs(v):,.0f}"
    if v < 0 and text != "¥0":
        return "−" + text
    return ("+" + text) if sign else text


def _stage(code: str) -> str:
    zh, en = STAGE_LABELS[code]
    return f"{zh} {code} {en}" if code != "none" else f"{zh} {en}"


def channel_label(channel: str, group: str | None = None) -> str:
    """The bilingual label of a traffic source.

    Parameters
    ----------
    channel : str
        The channel as loaded (``search``, ``xhs``, …; docs/data.md §Channels).
    group : str, optional
        Its group, used for a channel siyu does not recognise.

    Returns
    -------
    str
        ``"小红书 Xiaohongshu"``; an unrecognised channel keeps its name after its group's label
        (``"其他 other: tiktok"``).
    """
    if channel in CHANNEL_LABELS:
        zh, en = CHANNEL_LABELS[channel]
        return f"{zh} {en}"
    group = group or CHANNEL_GROUPS.get(channel, "other")
    zh, en = CHANNEL_GROUP_LABELS.get(group, CHANNEL_GROUP_LABELS["other"])
    return f"{zh} {en.lower()}: {channel}"


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _style(fig: go.Figure, title: str, *, height: int = 380, top: int = 70, bottom: int = 50, left: int = 60,
           right: int = 30, **layout: Any) -> go.Figure:
    """Title, size, margins, font and template of every chart (the title sits in the top margin)."""
    fig.update_layout(template="plotly_white", font={"family": FONT},
                      title={"text": title, "x": 0.01, "xanchor": "left", "y": 1 - 14 / height, "yanchor": "top",
                             "yref": "container"},
                      height=height, margin={"l": left, "r": right, "t": top, "b": bottom}, **layout)
    return fig
