"""Store metrics shared by the report, the console and the health models: headline KPIs, GMV series, channels.

Definitions (purchase, purchase day, 客单价 = GMV ÷ buyers, 笔单价 = GMV ÷ orders, members and fans active at
T) are in ``docs/data.md``; the SQL is in ``siyu/metrics/sql/``.
"""

from siyu.metrics.summary import KPI_LABELS, ratio, snapshot_part, store_summary

__all__ = ["KPI_LABELS", "ratio", "snapshot_part", "store_summary"]
