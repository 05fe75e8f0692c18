"""A realistic, vectorised simulator of a Tmall/Taobao brand store with known ground truth.

``simulate_store(SimulationConfig(...))`` returns the nine contract tables of docs/data.md (users,
products, orders, order_items, events, follows, memberships, reach_log, consents) and a truth dict; the
purchase process is BG/NBD (Fader, Hardie & Lee 2005) with Gamma-Gamma spend (Fader, Hardie & Lee
2005; Colombo & Jiang 1999), so CLV models, campaign holdouts and the customer-asset metrics (AIPL,
FAST, GAIN, LINK+, pools, RFM) can be checked against the truth. ``write_store`` writes it out.
``simulate_store`` turns ``config.seed`` into a ``numpy.random.Generator`` and hands it to
``generate_store(config, rng)``, which draws everything from the generator it is given.

Named presets live in :data:`SCENARIOS` (``SimulationConfig.from_scenario("weak_membership")``).
"""

from siyu.simulate._config import SCENARIOS, SimulationConfig
from siyu.simulate._store import (
    TABLE_NAMES,
    generate_store,
    simulate_store,
    write_store,
)

__all__ = ["SCENARIOS", "SimulationConfig", "TABLE_NAMES", "generate_store", "simulate_store", "write_store"]
