"""Bilingual labels the CLI's tables need beyond the core's label dictionaries (``KPI_LABELS``, ``FAST_LABELS``,
``LINK_LABELS``, ``STAGE_LABELS``, …): codes that are keys of the core's results but have no label there.

Tables only: JSON and CSV keep the codes.
"""

from __future__ import annotations

from siyu.contract.schema import CHANNEL_GROUP_LABELS as _GROUP_LABELS
from siyu.contract.schema import CHANNEL_GROUPS

__all__ = ["AIPL_NONE", "CHANNEL_GROUP_LABELS", "GROW_PART_LABELS", "POOL_TYPE_LABELS", "stage_labels"]

#: the ``none`` "stage" of AIPL (outside A, I, P, L)
AIPL_NONE = ("流失/未触达", "not in AIPL")

#: pool type -> (Chinese, English)
POOL_TYPE_LABELS: dict[str, tuple[str, str]] = {
    "fan": ("粉丝池", "Fans"), "member": ("会员池", "Members"), "customer": ("客户池", "Customers"),
}

#: the three GROW decompositions -> (Chinese, English)
GROW_PART_LABELS: dict[str, tuple[str, str]] = {
    "total": ("合计", "All buyers"), "new": ("新客", "New buyers"), "existing": ("老客", "Existing buyers"),
}

#: channel group (``siyu.contract.schema.CHANNEL_GROUPS``) -> (Chinese, English): the recognised groups' labels
CHANNEL_GROUP_LABELS: dict[str, tuple[str, str]] = {g: _GROUP_LABELS[g] for g in dict.fromkeys(CHANNEL_GROUPS.values())}


def stage_labels() -> dict[str, tuple[str, str]]:
    """AIPL stage -> (Chinese, English), with a readable English label for ``none``."""
    from siyu.assets import STAGE_LABELS

    return {**STAGE_LABELS, "none": AIPL_NONE}
