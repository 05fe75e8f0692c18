"""Diagnosis: for each weak GAIN indicator (and LINK+ multiple), a concrete action and the size of the opportunity.

The actions are the levers of Taobao / Tmall private-domain operation (``docs/gain.md`` §Diagnosis): 0-threshold
membership and 关注立减, member prices and tier benefits, reach over group chat / SMS / push / customer service
within one contact budget, members-first new-product launches, off-site seeding with 红猫 direct links and
traceable 口令, 全站推 with a target ROI. Rules are a registry (indicator id -> :class:`Action`).

Opportunity sizing (siyu's choice, an upper-bound estimate a merchant can check): the users needed to lift the
indicator to its reference value — the median of the brand's trailing monthly values in baseline mode, the
target in target mode — ``ceil((reference − value) × denominator)``; the GMV is those users times the gap in
W365 spend per buyer between the groups the indicator separates (e.g. member vs non-member buyers for I1),
or the spend per buyer for acquisition indicators.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from siyu.engine.sql import bind, load_model

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["ACTIONS", "Action", "diagnose"]


@dataclass(frozen=True)
class Action:
    """What to do when an indicator is weak, in Chinese and English, and how a won user is valued."""

    lever_zh: str
    lever_en: str
    action_zh: str
    action_en: str
    value: str  # key of gain_value_per_user: a column, or "a-b" for the gap between two columns


ACTIONS: dict[str, Action] = {
    "G1": Action("品牌心智", "Brand mindshare",
                 "加强品牌词搜索承接（品牌专区、店铺首页关注立减），用小红书种草 + 红猫直达链接把站外兴趣引到品牌搜索和进店",
                 "Capture brand-keyword search (brand zone, store-homepage follow discount) and route off-site interest "
                 "from 小红书 seeding with 红猫 direct links into brand search and store visits",
                 "spend_per_buyer"),
    "G2": Action("新客获取", "New-customer acquisition",
                 "用新客礼金、0元试用和新人专享价拉新；站外内容配可追踪口令/短链，核算新客成本",
                 "Acquire new buyers with new-customer gift coupons, free trials and first-order prices; put traceable "
                 "口令 / short links on off-site content to cost each new buyer",
                 "spend_per_buyer"),
    "G3": Action("渠道拓展", "Channel expansion",
                 "拓宽获客渠道：全站推按目标 ROI 放量，小红书/抖音种草回流，线下门店二维码入会",
                 "Widen acquisition: scale 全站推 at a target ROI, bring back 小红书 / 抖音 seeding traffic, "
                 "offline-store QR codes to join",
                 "spend_per_buyer"),
    "A1": Action("高价值人群", "High-value audience",
                 "对高价值老客做专属会员价、专属客服顾问和会员日唤回",
                 "Win back high-value customers with exclusive member prices, a dedicated advisor and member days",
                 "spend_per_repeat_buyer"),
    "A2": Action("主力人群", "Main audience",
                 "对主力人群千人千面发券、组合装和新品试用，提升购买频次",
                 "Give the main audience segment-specific coupons (千人千面), bundles and new-product samples",
                 "spend_per_buyer"),
    "A3": Action("潜力人群转化", "Potential-audience conversion",
                 "对加购未购、收藏未购的兴趣人群发限时券，群聊和客服跟进，推动 I→P",
                 "Convert interested users (carted or favourited, not bought) with time-limited coupons and group-chat "
                 "or customer-service follow-up (I→P)",
                 "spend_per_buyer"),
    "I1": Action("老客入会", "Old customers joining",
                 "在下单页提供0门槛入会礼和关注立减，老客一键入会；入会即享会员价",
                 "Offer a 0-threshold membership gift at checkout and a follow discount (关注立减) so old customers "
                 "join in one tap, with member prices from the first order",
                 "spend_per_member_buyer-spend_per_nonmember_buyer"),
    "I2": Action("会员活跃", "Member activity",
                 "设计会员权益领取、积分兑换和会员日，让会员每月有理由回来",
                 "Give members a monthly reason to return: benefit claims, points redemption, member days",
                 "spend_per_member_buyer-spend_per_nonmember_buyer"),
    "I3": Action("会员触达", "Member reach",
                 "在统一触达预算内制定群聊/短信/Push 触达计划（合规同意、免打扰时段），优先覆盖未触达会员",
                 "Plan reach over group chat / SMS / push within one contact budget (consent, quiet hours), members "
                 "not reached first",
                 "spend_per_member_buyer-spend_per_nonmember_buyer"),
    "N1": Action("会员复购", "Member repurchase",
                 "按回购周期推送补货提醒和会员专享复购券，满减加赠",
                 "Send replenishment reminders on each member's repurchase cycle with member-only repurchase coupons",
                 "spend_per_repeat_buyer-spend_per_once_buyer"),
    "N2": Action("会员跨品", "Member cross-category",
                 "做跨品类组合装、关联推荐和其他品类的小样试用",
                 "Cross-sell with multi-category bundles, related recommendations and samples of other categories",
                 "spend_per_multicat_member-spend_per_single_cat_member"),
    "N3": Action("会员新品", "Members and new products",
                 "新品会员优先首发（会员专享价、试用），用会员群聊和短信预告",
                 "Launch new products members-first (member price, trials), announced in member group chats and SMS",
                 "spend_per_member_buyer-spend_per_nonmember_buyer"),
}

#: the LINK+ step each indicator's action works on (docs/gain.md §LINK+: Lead, Interlock, Engage, Keep)
LINK_STEP = {"G1": "L", "G2": "L", "G3": "L", "A1": "K", "A2": "K", "A3": "L", "I1": "I", "I2": "N", "I3": "N",
             "N1": "K", "N2": "K", "N3": "K"}


def _value_per_user(row: dict[str, Any], key: str) -> float:
    if "-" in key:
        a, b = key.split("-")
        return max(0.0, (row[a] or 0.0) - (row[b] or 0.0))
    return row[key] or 0.0


def diagnose(ws: "Workspace", result: dict[str, Any]) -> list[dict[str, Any]]:
    """Recommended actions for the weak indicators of a :func:`siyu.health.gain.gain` result (weakest first).

    An indicator is weak when its score is below ``[gain].weak_score``. Each action names the LINK+ step it
    works on, so a weak indicator is also a weak step of the private-domain funnel.
    """
    cfg = ws.config.gain
    row = ws.query(load_model("gain_value_per_user").sql, bind(ws, "gain_value_per_user", as_of=result["as_of"])
                   ).to_pylist()[0]
    out: list[dict[str, Any]] = []
    for k, ind in result["indicators"].items():
        score = ind["score"]
        weak = score < cfg.weak_score if score is not None else False
        if not weak or ind["value"] is None:
            continue
        if cfg.score_mode == "target" and k in cfg.targets:
            reference = cfg.targets[k][1]
        else:
            hist = [s[k] for s in result["trend"][:-1] if s[k] is not None]
            reference = statistics.median(hist) if hist else ind["value"]
        # users who would have to move for the indicator to reach the reference (G3: more new buyers)
        users = max(0, math.ceil((reference - ind["value"]) * (ind["denominator"] or 0)))
        a = ACTIONS[k]
        out.append({"indicator": k, "name_zh": ind["name_zh"], "name_en": ind["name_en"], "score": score,
                    "value": ind["value"], "reference": reference, "opportunity_users": users,
                    "opportunity_gmv": round(users * _value_per_user(row, a.value), 2),
                    "link_step": LINK_STEP[k], "lever_zh": a.lever_zh, "lever_en": a.lever_en,
                    "action_zh": a.action_zh, "action_en": a.action_en})
    out.sort(key=lambda r: (r["score"] is None, r["score"] if r["score"] is not None else 0))
    return out
