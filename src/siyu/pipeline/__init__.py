"""Pipelines over the capabilities: the snapshot a report, demo or console needs, computed once."""

from siyu.pipeline.snapshot import compute_snapshot

__all__ = ["compute_snapshot"]
