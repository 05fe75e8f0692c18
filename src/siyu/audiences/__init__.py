"""Audiences (人群圈选): a typed condition tree and its text form, compiled to SQL, explained per user.

>>> from siyu import audiences                                                   # doctest: +SKIP
>>> tree = audiences.parse("aipl in (I, P) and orders.count(365d) >= 2 and not is_member")   # doctest: +SKIP
>>> audiences.count(ws, tree)["count"]                                            # doctest: +SKIP
>>> audiences.members(ws, tree).column("user_id")                                # doctest: +SKIP
>>> audiences.explain(ws, "u42", tree)["conditions"]                              # doctest: +SKIP

Every later capability (reach, offers, loyalty, the console's builder) selects users through this one
mechanism. Rules: ``docs/audiences.md``.
"""

from siyu.audiences.evaluate import count, explain, members, mix, universe_size
from siyu.audiences.fields import FIELDS, AudienceField, register_field
from siyu.audiences.store import (
    export,
    list_saved,
    load,
    save,
    show,
    snapshot_members,
    take_snapshot,
)
from siyu.audiences.text import parse, to_text
from siyu.audiences.tree import validate

__all__ = [
    "FIELDS", "AudienceField", "count", "explain", "export", "list_saved", "load", "members", "mix", "parse",
    "register_field", "resolve", "save", "show", "snapshot_members", "take_snapshot", "to_text", "universe_size",
    "validate",
]


def resolve(ws, *, where=None, query=None, name=None):
    """The canonical tree given as JSON (``where``: text, ``@FILE`` or a dict), as text (``query``) or as a
    saved audience's ``name`` — exactly one of them.

    Raises
    ------
    ConfigError
        When none or several are given, or the definition is invalid.
    """
    from pathlib import Path

    from siyu._exceptions import ConfigError

    given = [k for k, v in (("--where", where), ("--query", query), ("--audience", name)) if v is not None]
    if len(given) != 1:
        raise ConfigError("give the audience once: --where JSON|@FILE, --query TEXT or a saved audience's name"
                          + (f" (got {', '.join(given)})" if given else ""))
    if name is not None:
        return load(ws, name)["definition"]
    if query is not None:
        return parse(query)
    if isinstance(where, str) and where.startswith("@"):
        p = Path(where[1:])
        try:
            where = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read the audience tree ({exc.strerror})") from None
    return validate(where)


def snapshot_part(ws, as_of, snap):
    """The saved audiences at ``as_of`` with their size and AIPL / pool mix, for the pipeline snapshot (the
    report's audience section); empty on an engine that stores nothing or before any audience is saved."""
    if "write" not in ws.engine.capabilities:
        return {"audiences": []}
    out = []
    for a in list_saved(ws):
        tree = load(ws, a["name"])["definition"]
        c = count(ws, tree, as_of)
        out.append({"name": a["name"], "query": a["query"], "count": c["count"], "universe": c["universe"],
                    "mix": mix(ws, tree, as_of)})
    return {"audiences": out}
