"""Independent pandas/numpy reference implementations used to cross-check siyu's SQL models."""
