"""`siyu autobid advise`: a table, JSON, the chart file, and clear errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from autobid._html import shows
from siyu.cli import app
from siyu.cli.autobid import parse_targets

#: a quick run: two targets, one simulated week of 5,000 impressions a day
QUICK = ["autobid", "advise", "--targets", "2,3", "--seeds", "1", "--impressions", "5000"]

PRODUCTS = ("product_id,sales_30d,reviews,rating,ctr,pcvr,price\n"
            "A,1200,800,4.9,0.04,0.035,99\n"
            "C,8,2,5.0,0.03,0.02,89\n")


def run(*args: str):
    """The command on a 400-column console (labels stay on one line; narrow consoles: tests/test_cli_output.py)."""
    result = CliRunner().invoke(app, [*QUICK, *args], catch_exceptions=True, env={"COLUMNS": "400"})
    return result


def test_table_with_recommendation_and_products(tmp_path):
    f = tmp_path / "products.csv"
    f.write_text(PRODUCTS, encoding="utf-8")
    res = run("--profile", "hot", "--products", str(f))
    assert res.exit_code == 0, res.output
    out = res.output
    for label in ("量–ROI 曲线 Volume–ROI curve", "推荐 Recommendation", "目标 ROI Target ROI",
                  "选品 Product screen", "爆品 hot", "先测试 test-first"):
        assert label in out, label


def test_json_and_chart(tmp_path):
    chart = tmp_path / "curve.html"
    res = run("--format", "json", "--goal", "max-profit", "--margin", "0.5", "--budget", "20000",
              "--chart", str(chart))
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert [p["target_roi"] for p in d["curve"]] == [2.0, 3.0]
    rec = d["recommendation"]
    assert rec["goal"] == "max_profit" and rec["target_roi"] in (2.0, 3.0)
    assert d["settings"]["budget"] == 20000.0 and d["settings"]["bidder"] == "siyu"
    assert d["products"] is None and d["chart"] == str(chart)
    html = chart.read_text(encoding="utf-8")
    assert "<html" in html and "Plotly.newPlot" in html
    assert 'src="https://cdn' not in html and len(html) > 1_000_000  # plotly.js inlined: works offline
    assert shows(html, "全站推 量–ROI 曲线 Volume–ROI curve") and shows(html, "目标 ROI Target ROI")
    assert shows(html, "推荐 Recommended") and shows(html, "预期赔付 Expected compensation")


def test_max_profit_needs_margin():
    res = run("--goal", "max-profit")
    assert res.exit_code != 0 and "margin" in str(res.exception)


@pytest.mark.parametrize("text,expected", [("2,2.5,3", [2.0, 2.5, 3.0]), ("2:3:0.5", [2.0, 2.5, 3.0]),
                                           ("3", [3.0])])
def test_parse_targets(text, expected):
    assert parse_targets(text) == expected


def test_bad_targets_are_a_config_error():
    from siyu import ConfigError

    with pytest.raises(ConfigError, match="--targets"):
        parse_targets("2,three")
    with pytest.raises(ConfigError, match="--targets"):
        parse_targets("5:2:1")


def test_bad_products_file_exits_non_zero_naming_the_column(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("product_id,sales_30d,ctr,price\nA,10,0.02,99\n", encoding="utf-8")  # no pcvr
    proc = subprocess.run([sys.executable, "-m", "siyu", *QUICK, "--products", str(f)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 65  # ValidationError -> EX_DATAERR
    assert "column 'pcvr'" in proc.stderr and "bad.csv" in proc.stderr
    assert "Volume–ROI" not in proc.stdout  # the input is checked before anything is simulated
    missing = subprocess.run([sys.executable, "-m", "siyu", *QUICK, "--products", str(tmp_path / "none.csv")],
                             capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr
