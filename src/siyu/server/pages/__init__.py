"""Console pages: the :class:`Page` type, and the pages capabilities register (the registry's ``pages``).

A capability adds console pages without touching the console: its registry entry names a ``"module:PAGE"`` (a
:class:`Page`, or a tuple of them), and the console (:mod:`siyu.server.console.routes`) appends those pages after its
built-in ones, in the registry's order: a route ``GET /console/{tenant}/<path>``, a navigation entry labelled
``nav.<id>`` (:mod:`siyu.server.console.i18n`) and the page's template rendered with its ``context``.

This module sits outside :mod:`siyu.server.console` so that a capability's page module can import :class:`Page`
without importing the console's routes (which import the page modules while they are being built).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Page", "capability_pages"]


@dataclass(frozen=True)
class Page:
    """A console page.

    Attributes
    ----------
    id : str
        Its id: the navigation label is ``nav.<id>``, the body's ``data-page``.
    path : str
        Its path under ``/console/{tenant}/`` (``""`` for the dashboard).
    sections : tuple of str
        Report sections (:mod:`siyu.report.sections`) it shows from the tenant's snapshot.
    template : str, optional
        Its template among the console's (default ``page.html.j2``, which shows the sections).
    context : callable, optional
        ``context(gate, t, lang) -> dict``: what the template needs beyond the sections, computed per request from
        the gate (``gate.ws``, ``gate.key``, ``gate.tenant``), the translator ``t`` and the language. A
        :class:`~siyu.SiyuError` it raises becomes the console's error page.
    """

    id: str
    path: str
    sections: tuple[str, ...] = ()
    template: str | None = None
    context: Callable[..., dict[str, Any]] | None = None


def capability_pages() -> tuple[Page, ...]:
    """The pages of every capability of the registry that names ``pages``, in the registry's order.

    Raises
    ------
    TypeError
        When a registry entry names something that is not a :class:`Page` (or a tuple of them).
    """
    from siyu.registry import capabilities, load

    out: list[Page] = []
    for cap in capabilities():
        if not cap.pages:
            continue
        found = load(cap.pages)
        for page in found if isinstance(found, (tuple, list)) else (found,):
            if not isinstance(page, Page):
                raise TypeError(f"capability {cap.name}: pages={cap.pages!r} is not a console Page")
            out.append(page)
    return tuple(out)
