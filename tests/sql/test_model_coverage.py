"""Every named SQL model has a golden data test under ``tests/sql/``.

A model counts as tested when a test file here names it as a string (``run_model(conn, "name", …)``,
``load_model("name")``) or calls the same-named function (the per-user models ``aipl``, ``pools``, ``rfm``, ``ucmv``
run through ``siyu.assets.<name>(ws, …)`` on a hand-made workspace).
"""

from __future__ import annotations

import re
from pathlib import Path

import siyu
from siyu.engine.sql import list_models

HERE = Path(__file__).parent
SQL_FILES = sorted(Path(siyu.__file__).parent.glob("*/sql/*.sql"))


def test_every_sql_model_has_a_golden_test():
    texts = [p.read_text(encoding="utf-8") for p in sorted(HERE.glob("*.py")) if p.name != Path(__file__).name]
    untested = [name for name in list_models()
                if not any(re.search(rf"""["']{re.escape(name)}["']|\b{re.escape(name)}\(""", t) for t in texts)]
    assert not untested, f"SQL models without a golden test in tests/sql/: {', '.join(untested)}"


def test_the_check_covers_every_sql_file_of_every_package():
    assert {p.parent.parent.name for p in SQL_FILES} >= {"assets", "clv", "health", "metrics"}
    assert list_models() == sorted(p.stem for p in SQL_FILES)
