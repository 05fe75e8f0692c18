"""The public surface: cheap import, sorted __all__, one exception root."""

from __future__ import annotations

import subprocess
import sys

import siyu
from siyu import _exceptions


def test_import_opens_nothing_and_pulls_no_web_or_data_stack():
    code = ("import sys, siyu; heavy = [m for m in ('duckdb', 'pyarrow', 'pandas', 'fastapi', 'uvicorn', 'plotly', "
            "'jinja2', 'typer', 'pyspark') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_all_is_sorted_and_resolvable():
    assert siyu.__all__ == sorted(siyu.__all__)
    for name in siyu.__all__:
        assert getattr(siyu, name) is not None


def test_every_exception_derives_from_the_root_with_exit_codes():
    for name in _exceptions.__all__:
        cls = getattr(_exceptions, name)
        assert issubclass(cls, _exceptions.SiyuError)
        assert isinstance(cls.exit_code, int) and cls.exit_code != 0
        assert cls.__doc__ and name in _exceptions.__doc__


def test_autobid_surface_is_lazy_and_complete():
    code = ("import sys, siyu.autobid as ab; loaded = [m for m in ('siyu.autobid.market', 'siyu.autobid.bench', "
            "'scipy', 'plotly') if m in sys.modules]; print(','.join(loaded)); "
            "print(','.join(sorted(ab.BIDDERS)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == ""  # importing the package loads none of its modules
    assert {"fixed", "pacing", "pid", "onlinelp", "dual", "oracle", "siyu"} <= set(out[1].split(","))
    import siyu.autobid as ab

    assert ab.__all__ == sorted(ab.__all__)
    for name in ab.__all__:
        assert getattr(ab, name) is not None


def test_autobid_functions_are_not_shadowed_by_their_modules():
    code = ("import siyu.autobid.harness, siyu.autobid.market, siyu.autobid.bench, siyu.autobid.advisor; "
            "import siyu.autobid as ab; print(all(callable(getattr(ab, n)) for n in "
            "('replay', 'simulate', 'scoreboard', 'frontier', 'advise', 'compensate', 'make_bidder')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "True"
