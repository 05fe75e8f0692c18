"""Channel adapters of the outbox (export, email, webhook); see :mod:`siyu.reach.channels.base`."""

from siyu.reach.channels.base import ADAPTERS, Attempt, Channel, OutMessage, open_adapter

__all__ = ["ADAPTERS", "Attempt", "Channel", "OutMessage", "open_adapter"]
