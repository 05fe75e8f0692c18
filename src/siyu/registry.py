"""The capability registry: every capability says here what it adds to siyu's surfaces.

A capability is a package of the core (``siyu.assets``, ``siyu.health``, …) plus its thin adapters. It
registers, by dotted name so that nothing is imported before it is used:

- ``cli``: a module of :mod:`siyu.cli` with ``register(app)``, which adds its commands to the root Typer app;
- ``report``: a module of :mod:`siyu.report.sections` whose ``SECTIONS`` list renders report sections from
  the pipeline snapshot (:mod:`siyu.pipeline.snapshot`);
- ``snapshot``: a ``"module:function"`` that computes the capability's part of the snapshot;
- ``settings``: the ``siyu.toml`` sections it reads;
- ``docs``: its page under ``docs/``;
- ``routes`` and ``pages``: the HTTP API routes and console pages (the server adds these).

Adding a capability touches its own package, its adapter modules and one line in :data:`CAPABILITIES`.
Third-party packages may add capabilities through the ``siyu.capabilities`` entry-point group (each entry
point names a :class:`Capability`), in the spirit of datasette's plugin hooks.
``tests/test_registry.py`` walks the registry: every command, section and setting is documented and tested.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

__all__ = ["CAPABILITIES", "Capability", "capabilities", "load"]


@dataclass(frozen=True)
class Capability:
    """What one capability adds to siyu (see module docstring)."""

    name: str
    title_zh: str
    title_en: str
    package: str
    docs: str
    cli: str | None = None
    report: str | None = None
    snapshot: str | None = None
    settings: tuple[str, ...] = ()
    routes: str | None = None
    pages: str | None = None
    tags: tuple[str, ...] = field(default=())


#: the built-in capabilities, in the order their commands and report sections appear
CAPABILITIES: tuple[Capability, ...] = (
    Capability("data", "数据与工作区", "Data and workspace", "siyu.contract", "docs/data.md",
               cli="siyu.cli.data", report="siyu.report.sections.store", snapshot="siyu.metrics:snapshot_part",
               settings=("workspace", "engine"), routes="siyu.server.routes.data:router"),
    Capability("assets", "消费者资产", "Customer assets", "siyu.assets", "docs/customer-assets.md",
               cli="siyu.cli.assets", report="siyu.report.sections.assets", snapshot="siyu.assets:snapshot_part",
               settings=("model",), routes="siyu.server.routes.assets:router"),
    Capability("health", "用户价值健康度", "Customer-value health (GAIN, LINK+)", "siyu.health", "docs/gain.md",
               cli="siyu.cli.health", report="siyu.report.sections.health", snapshot="siyu.health:snapshot_part",
               settings=("gain", "model"), routes="siyu.server.routes.health:router"),
    Capability("clv", "客户终身价值", "Customer lifetime value", "siyu.clv", "docs/clv.md",
               cli="siyu.cli.clv", report="siyu.report.sections.clv", snapshot="siyu.clv:snapshot_part",
               settings=("model",), routes="siyu.server.routes.clv:router"),
    Capability("audiences", "人群圈选", "Audiences", "siyu.audiences", "docs/audiences.md",
               cli="siyu.cli.audiences", report="siyu.report.sections.audiences", snapshot="siyu.audiences:snapshot_part",
               routes="siyu.server.routes.audiences:router"),
    Capability("reach", "触达", "Reach", "siyu.reach", "docs/reach.md",
               cli="siyu.cli.reach", report="siyu.report.sections.reach", snapshot="siyu.reach:snapshot_part",
               settings=("reach",), routes="siyu.server.routes.reach:router", pages="siyu.server.pages.reach:PAGE"),
    Capability("loyalty", "会员等级与积分", "Loyalty: tiers and points", "siyu.loyalty", "docs/loyalty.md",
               cli="siyu.cli.loyalty", report="siyu.report.sections.loyalty", snapshot="siyu.loyalty:snapshot_part",
               routes="siyu.server.routes.loyalty:router", pages="siyu.server.pages.loyalty:PAGE"),
    Capability("offers", "会员价与优惠券", "Offers: member prices, coupons and the quote", "siyu.offers",
               "docs/offers.md", cli="siyu.cli.offers", routes="siyu.server.routes.offers:router"),
    Capability("autobid", "全站推出价", "全站推 auto-bidding", "siyu.autobid", "docs/autobid.md",
               cli="siyu.cli.autobid", routes="siyu.server.routes.autobid:router"),
    Capability("server", "服务与控制台", "HTTP API and console", "siyu.server", "docs/server.md",
               cli="siyu.cli.server", settings=("server",)),
)


@cache
def capabilities() -> tuple[Capability, ...]:
    """The built-in capabilities followed by those installed through the ``siyu.capabilities`` entry points.

    Read once per process (the CLI, the report and the snapshot all ask; scanning installed packages' entry points
    costs tens of milliseconds)."""
    from importlib.metadata import entry_points

    extra = tuple(ep.load() for ep in entry_points(group="siyu.capabilities"))
    return CAPABILITIES + tuple(c for c in extra if isinstance(c, Capability))


def load(target: str) -> Any:
    """Import ``"module"`` or ``"module:attribute"``."""
    module, _, attr = target.partition(":")
    mod = importlib.import_module(module)
    return getattr(mod, attr) if attr else mod
