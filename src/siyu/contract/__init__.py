"""The siyu data contract: table specs, formats, validation and loading (``docs/data.md``)."""

from siyu.contract.schema import (
    CHANNEL_GROUPS,
    CONTRACT_VERSION,
    TABLES,
    Column,
    TableSpec,
    get_table,
)

__all__ = ["CHANNEL_GROUPS", "CONTRACT_VERSION", "Column", "TABLES", "TableSpec", "get_table"]
