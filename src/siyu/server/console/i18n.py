"""The console's words in Chinese and English: every label of the page chrome, looked up by key.

Report content (chart titles, table heads) is already bilingual; this table only covers what the console adds:
navigation, titles, buttons, form labels and messages. :func:`translator` gives a page its ``t(key)``.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LANGS", "TEXT", "pick_lang", "translator"]

#: the languages of the switch, in its order
LANGS: tuple[str, ...] = ("zh", "en")

#: key -> (Chinese, English)
TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("私域控制台", "siyu console"),
    "app.tagline": ("私域客户运营", "Private-domain customer operations"),
    "nav.dashboard": ("概览", "Dashboard"),
    "nav.gain": ("GAIN 健康度", "GAIN health"),
    "nav.aipl": ("AIPL 人群资产", "AIPL assets"),
    "nav.pools": ("关系池", "Pools"),
    "nav.link": ("LINK+ 链路", "LINK+ funnel"),
    "nav.clv": ("客户终身价值", "Lifetime value"),
    "nav.audiences": ("人群圈选", "Audiences"),
    "nav.autobid": ("全站推出价", "全站推 bidding"),
    "nav.reach": ("触达", "Reach"),
    "header.store": ("店铺", "Store"),
    "header.as_of": ("快照日", "Snapshot date"),
    "header.key": ("密钥", "Key"),
    "header.apply": ("切换", "Apply"),
    "header.language": ("语言", "Language"),
    "logout": ("退出登录", "Sign out"),
    "login.title": ("登录控制台", "Sign in to the console"),
    "login.key": ("API 密钥", "API key"),
    "login.submit": ("登录", "Sign in"),
    "login.hint": ("使用 siyu keys create 创建的密钥。密钥只在登录时校验一次，不会保存在浏览器中。",
                   "Use a key made with siyu keys create. It is checked once at sign-in and never kept in the browser."),
    "login.refused": ("密钥无效或已吊销。", "This key is not valid or has been revoked."),
    "login.no_read": ("该密钥没有 read 权限，不能打开控制台。", "This key lacks the read scope the console needs."),
    "login.expired": ("会话已过期，请重新登录。", "Your session has ended; please sign in again."),
    "login.signed_out": ("已退出登录。", "You are signed out."),
    "dash.kpis": ("核心指标", "Key figures"),
    "dash.window": ("近 {n} 天", "last {n} days"),
    "section.none": ("暂无数据。", "Nothing to show yet."),
    "clv.none": ("尚未保存 CLV 预测：运行 siyu clv predict 后，这里显示每位客户的预测价值分布。",
                 "No CLV predictions are stored yet: after siyu clv predict, this page shows their distribution."),
    "clv.customers": ("客户数", "Customers"),
    "clv.total": ("预测 CLV 合计", "Predicted CLV, total"),
    "clv.mean": ("人均预测 CLV", "Predicted CLV per customer"),
    "clv.p_alive": ("平均存活概率", "Mean P(alive)"),
    "aud.builder": ("圈选人群", "Build an audience"),
    "aud.query": ("圈选条件（文本形式）", "Conditions (text form)"),
    "aud.examples": ("示例", "Examples"),
    "aud.help": ("输入时自动计算人数。字段与语法见 docs/audiences.md。",
                 "The count updates as you type. Fields and syntax: docs/audiences.md."),
    "aud.count": ("人数", "Members"),
    "aud.universe": ("全部用户", "All users"),
    "aud.canonical": ("规范形式", "Canonical form"),
    "aud.counting": ("计算中…", "Counting…"),
    "aud.mix": ("人群构成", "Members by stage and pool"),
    "aud.mix_aipl": ("AIPL 阶段", "AIPL stage"),
    "aud.mix_pool": ("客户池", "Customer pool"),
    "aud.explain": ("解释用户", "Explain a user"),
    "aud.explain_help": ("为什么某个用户属于或不属于这个人群：逐条条件给出该用户的取值。",
                         "Why a user is or is not a member: every condition with the user's own value."),
    "aud.user_id": ("用户 ID", "User id"),
    "aud.explain_btn": ("解释", "Explain"),
    "aud.member": ("属于该人群", "is a member"),
    "aud.not_member": ("不属于该人群", "is not a member"),
    "aud.condition": ("条件", "Condition"),
    "aud.value": ("该用户取值", "The user's value"),
    "aud.holds": ("是否成立", "Holds"),
    "aud.yes": ("成立", "yes"),
    "aud.no": ("不成立", "no"),
    "aud.saved": ("已保存人群", "Saved audiences"),
    "aud.none_saved": ("还没有保存的人群。", "No audience is saved yet."),
    "aud.save": ("保存当前人群", "Save this audience"),
    "aud.name": ("名称", "Name"),
    "aud.saved_ok": ("已保存。", "Saved."),
    "aud.save_needs_write": ("保存人群需要带 write 权限的密钥。", "Saving an audience needs a key with the write scope."),
    "ab.intro": ("模拟全站推的竞价，给出“量–ROI”曲线、建议的目标 ROI 与预算。模拟在后台任务中运行。",
                 ("Simulates 全站推 auctions: the volume–ROI curve and the advised target ROI and budget, run as a "
                  "background job.")),
    "ab.profile": ("商品力", "Product strength"),
    "ab.hot": ("爆品", "Hot seller"),
    "ab.normal": ("普通", "Normal"),
    "ab.new": ("新品", "New product"),
    "ab.budget": ("预算（¥，每次 7 天模拟；留空为不限）", "Budget per 7-day run (¥; empty: unlimited)"),
    "ab.goal": ("目标", "Goal"),
    "ab.max_gmv": ("成交额最大", "Most GMV"),
    "ab.max_profit": ("利润最大", "Most profit"),
    "ab.roi_floor": ("ROI 下限（可选）", "ROI floor (optional)"),
    "ab.margin": ("毛利率（利润最大时必填，0–1）", "Gross margin (for most profit, 0–1)"),
    "ab.seeds": ("模拟次数", "Simulation runs"),
    "ab.run": ("运行建议", "Run the advisor"),
    "ab.queued": ("排队中", "queued"),
    "ab.running": ("运行中", "running"),
    "ab.done": ("完成", "done"),
    "ab.failed": ("失败", "failed"),
    "ab.recommendation": ("建议", "Recommendation"),
    "ab.target_roi": ("目标 ROI", "Target ROI"),
    "ab.budget_per_day": ("日预算", "Budget per day"),
    "ab.expected_gmv": ("预期成交额", "Expected GMV"),
    "ab.spend": ("消耗", "Spend"),
    "ab.realized_roi": ("实际 ROI", "Realized ROI"),
    "ab.compensation": ("预期赔付", "Expected compensation"),
    "ab.p_miss": ("未达标概率", "P(miss)"),
    "ab.unlimited": ("不限", "unlimited"),
    "reach.campaigns": ("营销活动", "Campaigns"),
    "reach.none": ("还没有计划的活动：用 siyu campaign plan FILE（或 POST /api/v1/{tenant}/campaigns/plan）计划一个。",
                   ("No campaign is planned yet: plan one with siyu campaign plan FILE (or POST "
                    "/api/v1/{tenant}/campaigns/plan).")),
    "reach.help": (("每个活动：人群 → 按原因被抑制（全局对照组、活动对照组、未授权、触达预算、免打扰）→ 计划发送 → "
                    "已发送 → 已送达 → 已打开 → 已点击。发送时被抑制的消息也计入计划发送。"),
                   ("Per campaign: audience → suppressed by reason (global control, holdout, no consent, contact "
                    "budget, quiet hours) → planned → sent → delivered → opened → clicked. A message suppressed at "
                    "sending also counts in planned.")),
    "reach.campaign": ("活动", "Campaign"),
    "reach.planned_at": ("计划于", "Planned at"),
    "reach.priority": ("优先级", "Priority"),
    "reach.suppressed": ("被抑制", "Suppressed"),
    "reach.col.audience": ("人群", "Audience"),
    "reach.col.planned": ("计划发送", "Planned"),
    "reach.col.queued": ("排队中", "Queued"),
    "reach.col.sent": ("已发送", "Sent"),
    "reach.col.failed": ("失败", "Failed"),
    "reach.col.delivered": ("已送达", "Delivered"),
    "reach.col.opened": ("已打开", "Opened"),
    "reach.col.clicked": ("已点击", "Clicked"),
    "reach.funnels": ("触达漏斗", "Reach funnels"),
    "reach.charted": ("图中为最新的 {n} 个活动。", "Charts of the newest {n} campaigns."),
    "reach.outbox": ("发件箱", "Outbox"),
    "reach.outbox_help": (("发件箱中按活动和状态统计的消息数（GET /api/v1/{tenant}/outbox 列出每条消息，"
                           "不含手机号、邮箱或内容）。"),
                          ("Messages in the outbox by campaign and status (GET /api/v1/{tenant}/outbox lists each "
                           "one, without phone, address or content).")),
    "reach.status.queued": ("排队中", "queued"),
    "reach.status.sent": ("已发送", "sent"),
    "reach.status.exported": ("已导出", "exported"),
    "reach.status.failed": ("失败", "failed"),
    "reach.status.suppressed": ("已抑制", "suppressed"),
    "reach.total": ("合计", "Total"),
    "error.title": ("出错了", "Something went wrong"),
    "error.not_found": ("页面不存在，或你的密钥无权访问该店铺。", "No such page, or your key cannot open this store."),
    "error.too_many": ("请求过于频繁，请稍后再试。", "Too many requests; please try again shortly."),
    "error.back": ("返回概览", "Back to the dashboard"),
    "error.login": ("前往登录", "Go to sign-in"),
    "footer.docs": ("定义见 docs/ 目录；本页不显示任何个人信息（手机号等）。",
                    "Definitions: docs/. No personal data (phones and the like) is shown on these pages."),
}


def pick_lang(query: str | None, cookie: str | None) -> str:
    """The page language: ``?lang=`` first, then the remembered cookie, else Chinese.

    Parameters
    ----------
    query : str or None
        The ``lang`` query parameter.
    cookie : str or None
        The ``siyu_lang`` cookie.

    Returns
    -------
    str
        ``"zh"`` or ``"en"``.
    """
    for v in (query, cookie):
        if v in LANGS:
            return v
    return "zh"


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **fields)`` for ``lang``: the label of ``key`` with ``{field}`` placeholders filled.

    Parameters
    ----------
    lang : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    callable
        An unknown key is returned as it is (a missing label shows, it never breaks a page).
    """
    i = LANGS.index(lang) if lang in LANGS else 0

    def t(key: str, **fields: object) -> str:
        pair = TEXT.get(key)
        text = pair[i] if pair else key
        return text.format(**fields) if fields else text

    return t
