"""Fast, exact builders of Arrow columns from numpy arrays (ids, timestamps, money, categories)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MONEY", "TS", "categorical", "digits_width", "fixed_width_ids", "money", "nullable_int", "timestamps"]

TS = pa.timestamp("us")
MONEY = pa.decimal128(18, 2)


def digits_width(n: int, minimum: int) -> int:
    """Number of decimal digits needed to write ``0 .. n`` zero-padded, at least ``minimum``."""
    return max(minimum, len(str(max(int(n), 0))))


def fixed_width_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` followed by ``numbers`` zero-padded to ``width`` digits, e.g. ``u0000042`` (Arrow compute kernels)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def timestamps(us: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Naive ``timestamp[us]`` column from int64 microseconds since 1970-01-01 (local wall clock)."""
    us = np.asarray(us, dtype=np.int64)
    if null is None or not null.any():
        return pa.array(us, type=pa.int64()).view(TS)
    return pa.array(us, type=pa.int64(), mask=null).view(TS)


def money(cents: np.ndarray) -> pa.Array:
    """``decimal128(18, 2)`` column from int64 cents, exactly (no float rounding)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    two = np.empty((len(cents), 2), dtype=np.int64)
    two[:, 0] = cents
    two[:, 1] = cents >> 63  # sign extension of the 128-bit two's complement
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(two.tobytes())])


def categorical(codes: np.ndarray, labels: Sequence[str], *, dictionary: bool = True) -> pa.Array:
    """String column from integer codes into ``labels``; a negative code is null.

    With ``dictionary`` the column is dictionary-encoded (``dictionary<int32, string>``),
    which keeps low-cardinality columns of large tables small in memory.
    """
    codes = np.asarray(codes)
    null = codes < 0
    idx = pa.array(np.where(null, 0, codes).astype(np.int32), mask=null if null.any() else None)
    dict_arr = pa.array(list(labels), type=pa.string())
    if dictionary:
        return pa.DictionaryArray.from_arrays(idx, dict_arr)
    return dict_arr.take(idx)


def nullable_int(values: np.ndarray, null: np.ndarray, type_: pa.DataType | None = None) -> pa.Array:
    """Integer column (int64 unless ``type_``) with nulls where ``null`` is true."""
    return pa.array(np.asarray(values), type=type_ or pa.int64(), mask=null if null.any() else None)
