"""The registry of audience fields: what a ``{"field": F, "op": OP, "value": V}`` condition may ask.

A field has a name, a kind (which fixes the operators and the type of its values), the column that holds it
and the *source* of that column:

- ``profile`` — the per-user profile at the snapshot date T (model ``audience_profile``: the AIPL stage, the
  pools, UCMV, the RFM group, the user's attributes, the stored CLV predictions), computed once per T and kept
  for the workspace's life;
- any other name — a named SQL model with one row per user at ``$as_of`` (columns ``user_id`` and the
  field's column), joined when a tree uses the field. Later capabilities (consent, loyalty tiers, attribution
  sources) add fields this way with :func:`register_field`, without editing the compiler;
- a callable ``source(ws, as_of) -> (sql, params)`` giving such a query (for plugins, whose SQL does not live in
  siyu's packages). Its parameters must not start with ``a``, ``e``, ``o`` or ``s`` followed by a digit (the
  compiler's own names).

Rules: ``docs/audiences.md`` §Fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["FIELDS", "KIND_OPS", "OPS", "AudienceField", "field_labels", "get_field", "register_field"]

#: every operator of the tree, in the order the docs list them
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "is_null", "not_null")

#: kind -> the operators it allows
KIND_OPS: dict[str, tuple[str, ...]] = {
    "enum": ("=", "!=", "in", "not_in", "is_null", "not_null"),
    "string": ("=", "!=", "in", "not_in", "is_null", "not_null"),
    "boolean": ("=", "!=", "is_null", "not_null"),
    "number": ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null"),
    "date": ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null"),
    "tags": ("contains", "is_null", "not_null"),
}


@dataclass(frozen=True)
class AudienceField:
    """One field an audience condition may test.

    Parameters
    ----------
    name : str
        The name used in trees and in the text form.
    kind : str
        ``enum``, ``string``, ``boolean``, ``number``, ``date`` or ``tags`` (see :data:`KIND_OPS`).
    doc : str
        One line for the docs and ``siyu audience fields``.
    source : str or callable
        ``profile``, the name of a per-user SQL model, or a callable returning one (see module docstring).
    column : str or None
        The source's column (default: ``name``).
    labels : callable or None
        For ``enum`` fields: returns code -> (Chinese, English); the codes are the allowed values and the
        labels are accepted in their place.
    """

    name: str
    kind: str
    doc: str
    source: str | Callable[[Any, Any], tuple[str, dict[str, Any]]] = "profile"
    column: str | None = None
    labels: Callable[[], dict[str, tuple[str, str]]] | None = None

    @property
    def ops(self) -> tuple[str, ...]:
        return KIND_OPS[self.kind]


def _aipl() -> dict[str, tuple[str, str]]:
    from siyu.assets import STAGE_LABELS

    return {k: STAGE_LABELS[k] for k in ("A", "I", "P", "L", "none")}


def _pool(kind: str) -> Callable[[], dict[str, tuple[str, str]]]:
    def labels() -> dict[str, tuple[str, str]]:
        from siyu.assets import POOL_LABELS

        return POOL_LABELS[kind]

    return labels


def _ucmv() -> dict[str, tuple[str, str]]:
    from siyu.assets import UCMV_LABELS

    return UCMV_LABELS


def _rfm() -> dict[str, tuple[str, str]]:
    from siyu.assets import RFM_GROUPS

    return RFM_GROUPS


def _tier(ws: Any, as_of: Any) -> tuple[str, dict[str, Any]]:
    from siyu.loyalty.fields import tier_source

    return tier_source(ws, as_of)


def _points(ws: Any, as_of: Any) -> tuple[str, dict[str, Any]]:
    from siyu.loyalty.fields import points_source

    return points_source(ws, as_of)


FIELDS: dict[str, AudienceField] = {}


def register_field(field: AudienceField) -> AudienceField:
    """Add ``field`` to the registry (a name may be registered once).

    Raises
    ------
    ValueError
        When the name is taken or the kind unknown.
    """
    if field.name in FIELDS:
        raise ValueError(f"audience field {field.name!r} is already registered")
    if field.kind not in KIND_OPS:
        raise ValueError(f"audience field {field.name!r}: unknown kind {field.kind!r}")
    FIELDS[field.name] = field
    return field


for _f in (
    AudienceField("aipl", "enum", "AIPL stage at T: A, I, P, L or none (认知/兴趣/购买/忠诚)", labels=_aipl),
    AudienceField("fan_pool", "enum", "fan pool at T (null for non-fans)", labels=_pool("fan")),
    AudienceField("member_pool", "enum", "member pool at T (null for non-members)", labels=_pool("member")),
    AudienceField("customer_pool", "enum", "customer pool at T: new, old, lapsed, prospect (null otherwise)",
                  labels=_pool("customer")),
    AudienceField("ucmv", "enum", "UCMV stage at T (null outside UCMV)", labels=_ucmv),
    AudienceField("rfm_group", "enum", "RFM segment at T (null for users without a purchase in the RFM window)",
                  labels=_rfm),
    AudienceField("is_fan", "boolean", "follows the store at T"),
    AudienceField("is_member", "boolean", "holds a membership at T"),
    AudienceField("tier", "string", "membership tier at T: the loyalty program's once `siyu loyalty run` has stored "
                  "one, else as loaded (null for non-members and members below the first tier)", source=_tier),
    AudienceField("points_balance", "number", "spendable points balance at T from the points ledger (null without "
                  "entries)", source=_points),
    AudienceField("city_tier", "string", "city tier from the user profile"),
    AudienceField("gender", "string", "gender from the user profile"),
    AudienceField("age_band", "string", "age band from the user profile"),
    AudienceField("is_88vip", "boolean", "the platform's 88VIP flag from the user profile (null when unknown)"),
    AudienceField("tags", "tags", "the profile's ';'-separated tags; `contains` asks for one tag"),
    AudienceField("registered_at", "date", "local registration date from the user profile"),
    AudienceField("days_since_purchase", "number", "days from the last purchase to T (0 on T; null without one)"),
    AudienceField("predicted_clv", "number", "predicted CLV from the stored predictions (null when none)"),
    AudienceField("p_alive", "number", "P(alive) from the stored predictions (null when none)"),
):
    register_field(_f)


def get_field(name: str) -> AudienceField | None:
    """The registered field ``name``, or None."""
    return FIELDS.get(name)


def field_labels(field: AudienceField) -> dict[str, tuple[str, str]]:
    """code -> (Chinese, English) of an ``enum`` field; empty for other kinds."""
    return dict(field.labels()) if field.labels else {}


def describe() -> list[dict[str, Any]]:
    """One row per field: name, kind, operators, values (enum codes) and doc, for the docs and the CLI."""
    return [{"field": f.name, "kind": f.kind, "ops": list(f.ops), "values": list(field_labels(f)), "doc": f.doc}
            for f in FIELDS.values()]
