"""LINK+ (私域增长方法): the private-domain funnel L 汇聚, I 连接, N 激活, K 复购, relationship users against the 大盘.

Definitions: ``docs/gain.md`` §LINK+ (the four steps of the 淘宝天猫《商家私域经营手册》 [S17][S18]; the step
formulas are PROP) and §Reference figures #1–#5 (the handbook's relationship-vs-大盘 multiples), with the conventions of
``docs/customer-assets.md`` (local dates, ``W(N)`` = ``T−N+1 … T``, purchases net of refunds, purchase days, active
follow and membership at a date). SQL: ``sql/link_users.sql`` (one row per user), ``sql/link_store.sql`` (L and I),
``sql/link_groups.sql`` (N and K per group), ``sql/link_lead_channels.sql`` (L per channel).

siyu's choices where the public record is silent (snapshot T; the LINK+ window is W30, reach uses ``W(reach_days)``):

* **Relationship user** (关系用户) at T = active fan ∪ active member ∪ old customer (≥ 1 purchase in W365).
  **大盘** (all users) = every user with an event of any type (impressions included) or a purchase in W365: the
  store's audience. A fan or member with no event and no purchase in W365 is a relationship user outside the 大盘,
  so the two groups are compared, not nested.
* **L 汇聚**: UV = users with a ``visit`` event in W30; a *new visitor* has no visit in the 365 days before its first
  visit in W30. Per channel (``events.channel`` of those visits; missing = ``unknown``; the group from
  ``CHANNEL_GROUPS``, unrecognised = ``other``) a visitor counts in every channel it visited through, so the channel
  shares (uv_c ÷ UV) can add up to more than 1.
* **I 连接**: fans and members at T; follows (joins) started and ended in W30 count spells (rows), net adds = started −
  ended; 转粉率 = users with a follow started in W30 ÷ UV, 入会率 = users with a membership started in W30 ÷ UV and
  ÷ buyers in W30. The numerators are not restricted to visitors (a follow needs no visit event), so these two rates
  can exceed 1 on sparse event data.
* **N 激活** over each group's members at T: 触达率 = users with a ``reach_log`` row of status delivered, opened or
  clicked in ``W(reach_days)`` ÷ group size; 回访率 = users with a visit in W30 ÷ group size; 停留时长 = mean
  ``duration_s`` of the group's visit events in W30 that have one (seconds); 逛店深度 = the group's ``pdp_view``
  events ÷ its ``visit`` events in W30.
* **K 复购** over each group's *purchases*: every purchase for the 大盘; for relationship users, the purchases made
  as a relationship user, i.e. on a day ``d`` when the buyer was an active fan or member or had a purchase day in
  ``d−365 … d−1`` (a follow or join dated ``d`` counts for that day's purchases). Judging the status at T instead
  would make every W365 buyer an old customer and so a relationship user: K and the GMV share would then be the
  大盘's by construction (客单价 and 复购率 multiples exactly 1, GMV share 100 %). Relationship buyers are users with
  ≥ 1 such purchase (all of them are relationship users at T). 转化率 = buyers in W30 ÷ the group's visitors in W30
  (buyers need not have visited, so it can exceed 1); 复购率 = buyers with ≥ 2 purchase days in W365 ÷ buyers in
  W365; 客单价 = GMV ÷ buyers and 笔单价 = GMV ÷ orders in W365 (docs/data.md §Purchases: per buyer, per order);
  ``relationship_gmv_share`` = relationship purchases' GMV ÷ all GMV in W365 (docs/gain.md §Reference figures #1, "share of transactions").
* **Multiples** = relationship value ÷ 大盘 value for 回访率, 逛店深度, 客单价 and 复购率 (§Reference figures #2–#5: 2.5×, 1.8×,
  2.7×, +37 %; the handbook compares fans, members and old customers separately, siyu the union).
* Every ratio is ``{"value", "numerator", "denominator"}`` with ``value = numerator / denominator``, None when the
  denominator is 0 (a multiple's numerator and denominator are the two groups' values).
* All per-user work is SQL; Python only divides the few aggregated counts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.engine.dates import default_as_of
from siyu.engine.duckdb import run
from siyu.engine.sql import bind, load_model, model_arrow
from siyu.metrics.ratio import ratio_parts

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["GROUPS", "LINK_LABELS", "MULTIPLES", "STEPS", "STEP_LABELS", "link_plus"]

#: The four LINK+ steps (the "+" 全面加速 is platform acceleration, not measured from merchant data)
STEPS = ("L", "I", "N", "K")
STEP_LABELS = {
    "L": ("汇聚", "Lead"),
    "I": ("连接", "Interlock"),
    "N": ("激活", "Engage"),
    "K": ("复购", "Keep"),
}
#: The two groups compared in N and K: relationship users and the 大盘
GROUPS = ("relationship", "all")
#: metric id -> (Chinese, English)
LINK_LABELS = {
    # L
    "uv": ("店铺访问人数", "Store visitors (UV)"),
    "new_uv": ("新访客数", "New visitors"),
    "new_visitor_share": ("新访客占比", "New-visitor share"),
    "share": ("渠道访客占比", "Channel share of UV"),
    # I
    "fans": ("粉丝数", "Fans"),
    "members": ("会员数", "Members"),
    "follows_started": ("新增关注", "Follows started"),
    "follows_ended": ("取消关注", "Follows ended"),
    "net_fan_adds": ("粉丝净增", "Net fan adds"),
    "joins": ("新增入会", "Memberships started"),
    "leaves": ("退会", "Memberships ended"),
    "net_member_adds": ("会员净增", "Net member adds"),
    "new_fans": ("新增粉丝人数", "New fans (users)"),
    "new_members": ("新增会员人数", "New members (users)"),
    "follow_rate": ("转粉率", "Follow rate (new fans ÷ UV)"),
    "join_rate": ("入会率", "Join rate (new members ÷ UV)"),
    "join_rate_buyers": ("入会率(购买口径)", "Join rate (new members ÷ buyers)"),
    # N
    "users": ("人数", "Users in the group"),
    "reach_rate": ("触达率", "Reach rate"),
    "revisit_rate": ("回访率", "Revisit rate"),
    "dwell_time": ("停留时长(秒)", "Dwell time per visit (s)"),
    "browse_depth": ("逛店深度", "Browse depth (PDP views per visit)"),
    # K
    "conversion_rate": ("转化率", "Conversion rate"),
    "repeat_rate": ("复购率", "Repeat rate (2+ purchase days)"),
    "kedanjia": ("客单价", "Spend per buyer"),
    "bidanjia": ("笔单价", "Spend per order"),
    "buyers_window": ("30天购买人数", "Buyers in W30"),
    "buyers": ("购买人数", "Buyers"),
    "repeat_buyers": ("复购人数", "Repeat buyers (2+ purchase days)"),
    "orders": ("订单数", "Orders"),
    "gmv": ("成交金额", "GMV"),
    "relationship_gmv_share": ("关系用户成交占比", "Relationship users' share of GMV"),
    # multiples
    "revisit": ("回访率倍数", "Revisit multiple (relationship ÷ 大盘)"),
}
#: multiple id -> the N or K metric it compares
MULTIPLES = {"revisit": "revisit_rate", "browse_depth": "browse_depth", "kedanjia": "kedanjia",
             "repeat_rate": "repeat_rate"}

_WINDOW_DAYS = 30  # the LINK+ window W30 (docs/gain.md §LINK+)


def link_plus(ws: Workspace, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """The LINK+ funnel at ``as_of`` (default: the last pay date) for relationship users and the 大盘.

    Returns
    -------
    dict
        ``as_of``; ``steps``: ``L`` (``uv``, ``new_uv``, ``new_visitor_share``), ``I`` (``fans``, ``members``,
        ``follows_started``, ``follows_ended``, ``net_fan_adds``, ``joins``, ``leaves``, ``net_member_adds``,
        ``new_fans``, ``new_members``, ``follow_rate``, ``join_rate``, ``join_rate_buyers``), ``N`` and ``K`` each
        ``{"relationship": {...}, "all": {...}}`` (N: ``users``, ``reach_rate``, ``revisit_rate``, ``dwell_time``,
        ``browse_depth``; K: ``buyers_window``, ``buyers``, ``repeat_buyers``, ``orders``, ``gmv``,
        ``conversion_rate``, ``repeat_rate``, ``kedanjia``, ``bidanjia``); ``lead_channels`` (``channel``,
        ``channel_group``, ``uv``, ``new_uv``, ``share``); ``multiples`` (``revisit``, ``browse_depth``,
        ``kedanjia``, ``repeat_rate``); ``relationship_users``, ``all_users``, ``relationship_gmv_share``.
        Every ratio (multiples included) is ``{"value", "numerator", "denominator"}``.
    """
    t = default_as_of(ws, as_of)
    with ws.session() as conn:
        # the named model link_users, materialised once (DDL only) for the three models that read _link_users
        run(conn, "CREATE OR REPLACE TEMP TABLE _link_users AS " + load_model("link_users").sql,
            bind(ws, "link_users", as_of=t, days=_WINDOW_DAYS))
        try:
            (store,) = model_arrow(ws, conn, "link_store", as_of=t, days=_WINDOW_DAYS).to_pylist()
            groups = {r.pop("grp"): r for r in model_arrow(ws, conn, "link_groups").to_pylist()}
            channels = model_arrow(ws, conn, "link_lead_channels", as_of=t, days=_WINDOW_DAYS).to_pylist()
        finally:
            run(conn, "DROP TABLE IF EXISTS _link_users")

    uv = store["uv"]
    steps = {
        "L": {"uv": uv, "new_uv": store["new_uv"], "new_visitor_share": ratio_parts(store["new_uv"], uv)},
        "I": {"fans": store["fans"], "members": store["members"],
              "follows_started": store["follows_started"], "follows_ended": store["follows_ended"],
              "net_fan_adds": store["follows_started"] - store["follows_ended"],
              "joins": store["joins"], "leaves": store["leaves"], "net_member_adds": store["joins"] - store["leaves"],
              "new_fans": store["new_fans"], "new_members": store["new_members"],
              "follow_rate": ratio_parts(store["new_fans"], uv), "join_rate": ratio_parts(store["new_members"], uv),
              "join_rate_buyers": ratio_parts(store["new_members"], store["buyers_window"])},
        "N": {g: _engage(groups[g]) for g in GROUPS},
        "K": {g: _keep(groups[g]) for g in GROUPS},
    }
    by_metric = {g: steps["N"][g] | steps["K"][g] for g in GROUPS}
    multiples = {k: ratio_parts(by_metric["relationship"][m]["value"], by_metric["all"][m]["value"])
                 for k, m in MULTIPLES.items()}
    return {
        "as_of": t, "steps": steps,
        "lead_channels": [{**c, "share": ratio_parts(c["uv"], uv)} for c in channels],
        "multiples": multiples,
        "relationship_users": groups["relationship"]["users"], "all_users": groups["all"]["users"],
        "relationship_gmv_share": ratio_parts(groups["relationship"]["gmv"], groups["all"]["gmv"]),
    }


def _engage(r: dict[str, Any]) -> dict[str, Any]:
    return {"users": r["users"], "reach_rate": ratio_parts(r["reached"], r["users"]),
            "revisit_rate": ratio_parts(r["visitors"], r["users"]),
            "dwell_time": ratio_parts(r["duration_sum"], r["duration_n"]),
            "browse_depth": ratio_parts(r["pdp_views"], r["visits"])}


def _keep(r: dict[str, Any]) -> dict[str, Any]:
    return {"buyers_window": r["buyers_window"], "buyers": r["buyers"], "repeat_buyers": r["repeat_buyers"],
            "orders": r["orders"], "gmv": r["gmv"],
            "conversion_rate": ratio_parts(r["buyers_window"], r["visitors"]),
            "repeat_rate": ratio_parts(r["repeat_buyers"], r["buyers"]),
            "kedanjia": ratio_parts(r["gmv"], r["buyers"]), "bidanjia": ratio_parts(r["gmv"], r["orders"])}
