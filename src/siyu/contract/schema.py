"""The siyu data contract, version 1 (``docs/data.md``), as a registry of table specs.

Every table a merchant loads is declared here once: its columns, their types and
rules, and its de-duplication key. DDL, validation and documentation are all
derived from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CHANNEL_GROUPS",
    "CHANNEL_GROUP_LABELS",
    "CHANNEL_LABELS",
    "CONSENT_CHANNELS",
    "CONSENT_PURPOSES",
    "CONSENT_STATUSES",
    "CONTRACT_VERSION",
    "EVENT_TYPES",
    "REACH_CHANNELS",
    "REACH_STATUSES",
    "TABLES",
    "Column",
    "TableSpec",
    "get_table",
]

CONTRACT_VERSION = 1

EVENT_TYPES = (
    "impression", "ad_click", "visit", "pdp_view", "search", "favorite", "add_cart", "coupon_claim",
    "trial_claim", "benefit_claim", "content_interaction", "live_view", "share", "review", "link_click",
)
KEYWORD_TYPES = ("brand", "category", "other")
REACH_CHANNELS = ("sms", "group_chat", "push", "customer_service", "email", "webhook")
#: ``exported``: handed to a platform tool in an audience package (人群包), which sends it (docs/reach.md)
REACH_STATUSES = ("sent", "delivered", "failed", "opened", "clicked", "suppressed", "exported")
#: consent ledger (docs/reach.md §Consent): a record is for one channel or for ``all`` of them
CONSENT_CHANNELS = (*REACH_CHANNELS, "all")
CONSENT_PURPOSES = ("marketing", "personalisation", "third_party")
CONSENT_STATUSES = ("granted", "withdrawn")

#: Recognised traffic sources and their group (docs/data.md §Channels).
CHANNEL_GROUPS: dict[str, str] = {
    **{c: "onsite_free" for c in ("search", "recommend", "live", "short_video", "direct")},
    **{c: "onsite_paid" for c in ("ads_search", "ads_feed", "ads_live", "quanzhantui")},
    **{c: "offsite_online" for c in ("xhs", "douyin", "weibo", "zhihu", "wechat", "bilibili")},
    **{c: "offsite_offline" for c in ("offline_store", "offline_event")},
    **{c: "private_reach" for c in ("sms", "group_chat", "push", "customer_service", "email")},
}
#: channel group -> (Chinese, English), with the groups of unrecognised (``other``) and missing (``unknown``) channels
CHANNEL_GROUP_LABELS: dict[str, tuple[str, str]] = {
    "onsite_free": ("站内免费", "Onsite free"), "onsite_paid": ("站内付费", "Onsite paid"),
    "offsite_online": ("站外线上", "Offsite online"), "offsite_offline": ("站外线下", "Offsite offline"),
    "private_reach": ("私域触达", "Private reach"), "other": ("其他", "Other"), "unknown": ("未知", "Unknown"),
}
#: recognised channel -> (Chinese, English)
CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    "search": ("搜索", "search"), "recommend": ("推荐", "recommend"), "live": ("直播", "live"),
    "short_video": ("短视频", "short video"), "direct": ("直接访问", "direct"),
    "ads_search": ("搜索广告", "search ads"), "ads_feed": ("信息流广告", "feed ads"), "ads_live": ("直播推广", "live ads"),
    "quanzhantui": ("全站推", "quanzhantui"),
    "xhs": ("小红书", "Xiaohongshu"), "douyin": ("抖音", "Douyin"), "weibo": ("微博", "Weibo"), "zhihu": ("知乎", "Zhihu"),
    "wechat": ("微信", "WeChat"), "bilibili": ("哔哩哔哩", "Bilibili"),
    "offline_store": ("线下门店", "offline store"), "offline_event": ("线下活动", "offline event"),
    "sms": ("短信", "SMS"), "group_chat": ("社群", "group chat"), "push": ("推送", "push"),
    "customer_service": ("客服", "customer service"), "email": ("邮件", "email"),
    "unknown": ("未知", "unknown"),
}


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    ``kind`` is one of ``string``, ``timestamp``, ``date``, ``money``, ``integer``,
    ``number``, ``boolean`` or ``enum``; ``min``/``max`` bound numbers;
    ``after`` names a timestamp column this one must not precede; ``pii`` marks
    personal data (stored protected, shown masked the way ``mask`` says: ``phone`` or ``email``).
    """

    name: str
    kind: str
    required: bool = False
    enum: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    after: str | None = None
    not_above: str | None = None
    default: str | None = None
    pii: bool = False
    mask: str = "phone"
    doc: str = ""

    @property
    def sql_type(self) -> str:
        """DuckDB storage type (timestamps are local wall-clock time in the workspace zone)."""
        return {
            "string": "VARCHAR", "enum": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE",
            "money": "DECIMAL(18,2)", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN",
        }[self.kind]


@dataclass(frozen=True)
class TableSpec:
    """One contract table: columns, de-duplication key and load order."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: when the key column is optional in files: derive it from a hash of all fields
    hashed_key: bool = False
    #: (column, table, column) references checked at the end of a load
    references: tuple[tuple[str, str, str], ...] = ()
    #: column giving the table's date range in ``siyu tables``
    time_column: str | None = None
    doc: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def storage_columns(self) -> tuple[tuple[str, str], ...]:
        """(name, type) of the stored table; a pii column is stored as masked text plus ciphertext."""
        out: list[tuple[str, str]] = []
        for c in self.columns:
            if c.pii:
                out += [(f"{c.name}_masked", "VARCHAR"), (f"{c.name}_enc", "BLOB")]
            else:
                out.append((c.name, c.sql_type))
        return tuple(out)


S, TS = "string", "timestamp"

TABLES: dict[str, TableSpec] = {t.name: t for t in (
    TableSpec("users", (
        Column("user_id", S, required=True),
        Column("phone", S, pii=True, doc="personal data: stored encrypted, shown masked (138****1234)"),
        Column("email", S, pii=True, mask="email",
               doc="personal data: stored encrypted, shown masked (a***@example.com); the email channel's address"),
        Column("city_tier", S), Column("gender", S), Column("age_band", S),
        Column("is_88vip", "boolean", doc="platform flag imported from 数据银行/达摩盘"),
        Column("registered_at", TS),
        Column("tags", S, doc="';'-separated tags, e.g. from 红猫 backflow"),
    ), key=("user_id",), time_column="registered_at", doc="customers and their profile"),
    TableSpec("products", (
        Column("sku", S, required=True),
        Column("name", S), Column("brand", S), Column("category_l1", S),
        Column("category_leaf", S, required=True),
        Column("launch_date", "date", doc="needed for new-product metrics"),
        Column("list_price", "money", min=0),
    ), key=("sku",), time_column="launch_date", doc="the catalogue"),
    TableSpec("orders", (
        Column("order_id", S, required=True),
        Column("user_id", S, required=True),
        Column("paid_at", TS, required=True, doc="orders are counted by pay time"),
        Column("amount", "money", required=True, min=0, doc="amount paid"),
        Column("refund_amount", "money", min=0, not_above="amount", default="0",
               doc="a fully refunded order is not a purchase"),
        Column("channel", S, doc="traffic source of the order"),
        Column("store_id", S, doc="for brands with several authorised stores"),
    ), key=("order_id",), time_column="paid_at", doc="paid orders"),
    TableSpec("order_items", (
        Column("order_id", S, required=True, doc="must exist in orders (checked at the end of a load)"),
        Column("sku", S, required=True),
        Column("qty", "integer", required=True, min=1),
        Column("amount", "money", required=True, min=0),
    ), key=("order_id", "sku"), references=(("order_id", "orders", "order_id"),), doc="order lines"),
    TableSpec("events", (
        Column("event_id", S, doc="de-duplication key; if absent, a hash of all fields"),
        Column("user_id", S, required=True),
        Column("ts", TS, required=True),
        Column("type", "enum", required=True, enum=EVENT_TYPES),
        Column("sku", S), Column("channel", S),
        Column("keyword_type", "enum", enum=KEYWORD_TYPES, doc="for search"),
        Column("session_id", S),
        Column("duration_s", "number", min=0, doc="dwell time of a visit"),
        Column("rating", "integer", min=1, max=5, doc="for review"),
    ), key=("event_id",), hashed_key=True, time_column="ts", doc="behaviour events"),
    TableSpec("follows", (
        Column("user_id", S, required=True),
        Column("followed_at", TS, required=True),
        Column("unfollowed_at", TS, after="followed_at"),
    ), key=("user_id", "followed_at"), time_column="followed_at", doc="store follows (fans)"),
    TableSpec("memberships", (
        Column("user_id", S, required=True),
        Column("joined_at", TS, required=True),
        Column("left_at", TS, after="joined_at"),
        Column("tier", S), Column("join_channel", S),
    ), key=("user_id", "joined_at"), time_column="joined_at", doc="membership spells"),
    TableSpec("reach_log", (
        Column("message_id", S, doc="de-duplication key; if absent, a hash of all fields"),
        Column("user_id", S, required=True),
        Column("ts", TS, required=True),
        Column("channel", "enum", required=True, enum=REACH_CHANNELS),
        Column("campaign_id", S),
        Column("status", "enum", required=True, enum=REACH_STATUSES),
    ), key=("message_id",), hashed_key=True, time_column="ts", doc="private-domain messages"),
    TableSpec("consents", (
        Column("user_id", S, required=True),
        Column("channel", "enum", required=True, enum=CONSENT_CHANNELS, doc="a reach channel, or all of them"),
        Column("purpose", "enum", required=True, enum=CONSENT_PURPOSES),
        Column("status", "enum", required=True, enum=CONSENT_STATUSES),
        Column("ts", TS, required=True, doc="when the user granted or withdrew"),
        Column("source", S, doc="evidence: where it was given (register page, SMS reply TD, customer service, ...)"),
        Column("text_version", S, doc="evidence: the version of the consent text the user saw"),
    ), key=("user_id", "channel", "purpose", "ts"), time_column="ts",
        doc="consent ledger (PIPL): one row per grant or withdrawal"),
)}


def get_table(name: str) -> TableSpec:
    """The spec of contract table ``name``.

    Raises
    ------
    ConfigError
        If ``name`` is not a contract table.
    """
    from siyu._exceptions import ConfigError

    try:
        return TABLES[name]
    except KeyError:
        raise ConfigError(f"unknown table {name!r}; the contract tables are: {', '.join(TABLES)}") from None
