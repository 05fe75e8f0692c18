"""What people read: the README's generated reference, help texts, and tables piped to a file or a narrow console.

Tables label rows and columns bilingually and format money and shares; a number is never cut (a table too wide
for the console wraps its text or becomes one block per row). JSON and CSV keep the machine keys and raw values.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GOOD_FILES, run_cli

from siyu import Workspace
from siyu.contract import TABLES
from siyu.simulate import SimulationConfig, simulate_store, write_store

README = Path(__file__).resolve().parents[1] / "README.md"

#: machine keys that must not reach people in table output
RAW_KEYS = ("kedanjia", "bidanjia", "A_could_deepen", "ai_to_p_rate", "repeat_buyer_share", "new_visitor_share",
            "refund_rate", "onsite_free", "churn_rate", "flow_rate", "mean_recency", "gmv_share", "label_zh",
            "name_en", "baseline_score", "efficiency_ceiling", "p_below_r")
#: a count of one followed by a plural noun
ONE_PLURAL = re.compile(r"(?<![\d,.])1 (rows|users|customers|buyers|seeds|profiles|days|launches|duplicates)\b")


def run_piped(*args: str, columns: int | None = None) -> subprocess.CompletedProcess:
    """``siyu *args`` with stdout a pipe (not a terminal), with ``$COLUMNS`` set or, for None, unset."""
    drop = ("COLUMNS", "SIYU_WORKSPACE", "FORCE_COLOR", "TTY_COMPATIBLE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    res = subprocess.run([sys.executable, "-m", "siyu", *args], capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    return res


def widest_line(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.splitlines()), default=0)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A small simulated store: enough data for every table of every command."""
    root = tmp_path_factory.mktemp("cli-output")
    tables, truth = simulate_store(SimulationConfig(users=1500, seed=2024))
    files = write_store(root / "d", tables, truth)
    with Workspace.init(root / "ws") as ws:
        for name in TABLES:
            ws.ingest(name, files[name])
    return str(root / "ws")


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """The hand-written good fixture in a workspace on disk."""
    ws = tmp_path_factory.mktemp("good") / "ws"
    with Workspace.init(ws) as w:
        for table, path in GOOD_FILES.items():
            w.ingest(table, path)
    return str(ws)


# -- the README and help texts ------------------------------------------------------------------------------
def test_readme_configuration_shows_real_defaults_and_keeps_apostrophes():
    from siyu._docs import config_reference

    for text in (README.read_text(encoding="utf-8"), config_reference()):
        assert "PydanticUndefined" not in text
        assert 'siyu"s' not in text and 'brand"s' not in text
        assert "siyu's reference points" in text and "the brand's own" in text
    ref = config_reference()
    assert '| `[gain]` | `platform_crowds` | `{ A1 = "高价值人群", A2 = "主力人群", A3 = "潜力人群" }` |' in ref
    assert "G1 = [0.1, 0.5]" in ref and "| `[model]` | `l_include_positive_review` | `false` |" in ref


def _all_commands():
    from typer.main import get_command

    from siyu.cli import app

    root = get_command(app)
    out = [((), root)]
    for name, cmd in root.commands.items():
        out.append(((name,), cmd))
        out += [((name, sub), c) for sub, c in getattr(cmd, "commands", {}).items()]
    return out


def test_every_help_string_survives_rich_markup():
    """A ``[...]`` that rich reads as a tag disappears from the help: brackets must be escaped (``\\[``)."""
    from rich.text import Text

    for path, cmd in _all_commands():
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        for text in texts:
            shown = Text.from_markup(text).plain
            assert shown == text.replace("\\[", "["), (path, text)


def test_rendered_help_has_no_placeholder_artefacts():
    from siyu._docs import cli_reference

    text = re.sub(r"[│\s]+", " ", cli_reference())  # every command's --help as in the README, lines joined
    bad = re.findall(r".{30}[\w)] \.(?= )", text)
    assert not bad, bad
    assert "[default: ]" not in text
    assert "[default: .score_mode]" not in text
    for shown in ("Workspace directory. [default: ./siyu-workspace]", "Snapshot date YYYY-MM-DD. [default: last pay "
                  "date]", "Score mode. [default: [gain].score_mode]", "(¥). [default: none]",
                  "[default: 0.9 × each target, the compensation line]", "[default: all 18]", "[default: 200,000]"):
        assert shown in text, shown


# -- tables for people --------------------------------------------------------------------------------------
def _kpi_text(key: str, v) -> str:
    """A KPI as the table must show it (written out independently of the CLI's formatter)."""
    if v is None:
        return "–"
    if key.endswith("ratio"):
        return f"{v:,.2f}×"
    if "share" in key or key.endswith("rate"):
        return f"{v:.1%}"
    if key in ("gmv", "member_gmv", "kedanjia", "bidanjia", "member_kedanjia"):
        return f"¥{v:,.2f}"
    return f"{v:,}"


@pytest.mark.parametrize("columns", [60, 40, None])
def test_summary_table_piped_shows_every_kpi_whole(good, columns):
    kpis = json.loads(run_piped("-w", good, "summary", "--format", "json").stdout)["kpis"]
    out = run_piped("-w", good, "summary", "--format", "table", columns=columns).stdout
    assert "…" not in out
    for key, v in kpis.items():
        assert _kpi_text(key, v) in out, (key, v)
    assert "客单价" in out and "Spend per buyer" in out and "kedanjia" not in out
    if columns is not None:
        assert widest_line(out) <= columns


def test_summary_json_and_csv_keep_machine_keys_and_raw_values(good):
    s = json.loads(run_piped("-w", good, "summary", "--format", "json").stdout)
    assert set(s) == {"as_of", "window_days", "kpis"} and isinstance(s["kpis"]["gmv"], (int, float))
    csv_out = run_piped("-w", good, "summary", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "kpi,label_zh,label_en,value"
    assert any(line.startswith("kedanjia,客单价,Spend per buyer,") for line in csv_out)
    assert "¥" not in "".join(csv_out) and "%" not in "".join(csv_out)


COMMANDS = [("summary",), ("fast",), ("link",), ("gain",), ("aipl", "--from", "2024-10-01"),
            ("pools", "--from", "2024-12-01"), ("grow",), ("rfm",), ("ucmv",), ("tables",), ("aipl", "--per-user")]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_tables_label_keys_and_never_cut(store, args):
    wide = run_piped("-w", store, *args, "--format", "table").stdout
    narrow = run_piped("-w", store, *args, "--format", "table", columns=60).stdout
    for out in (wide, narrow):
        assert "…" not in out
        assert not [k for k in RAW_KEYS if k in out], [k for k in RAW_KEYS if k in out]
        assert not ONE_PLURAL.search(out), ONE_PLURAL.search(out)
    assert widest_line(narrow) <= 60
    number = r"(?<![\w.,¥-])-?¥?\d[\d,]*(?:\.\d+)?[%×]?"
    for n in set(re.findall(number, wide)):  # every number of the wide table is whole in the narrow one
        assert re.search(rf"(?<![\w.,¥-]){re.escape(n)}(?![.,]?\d)", narrow), n


def test_shares_and_money_are_formatted_in_tables_only(store):
    out = run_piped("-w", store, "ucmv", "--format", "table").stdout
    s = json.loads(run_piped("-w", store, "ucmv", "--format", "json").stdout)
    for stage, share in s["gmv_share"].items():
        assert f"{share:.1%}" in out, stage
    for stage, gmv in s["gmv"].items():
        assert f"¥{gmv:,.2f}" in out, stage
    assert "U 用户 User" in out and "成交占比 GMV share" in out
    csv_out = run_piped("-w", store, "ucmv", "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "label,label_zh,label_en,count,share,gmv,gmv_share"


def test_one_of_a_thing_is_singular(tmp_path):
    from siyu.cli._render import plural

    assert (plural(1, "row"), plural(2, "row"), plural(1_000, "row")) == ("1 row", "2 rows", "1,000 rows")
    assert plural(1, "launch", "launches") == "1 launch" and plural(3, "launch", "launches") == "3 launches"
    one = tmp_path / "users.csv"
    lines = GOOD_FILES["users"].read_text(encoding="utf-8").splitlines()
    one.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    ws = str(tmp_path / "ws")
    assert run_cli("-w", ws, "init").returncode == 0
    res = run_cli("-w", ws, "ingest", "users", str(one))
    assert res.returncode == 0, res.stderr
    assert "1 row —" in res.stdout and not ONE_PLURAL.search(res.stdout)
    res = run_cli("-w", ws, "export", "users", str(tmp_path / "out.csv"))
    assert "exported 1 row of users" in res.stdout


def test_autobid_bench_table_fits_a_narrow_pipe():
    args = ["autobid", "bench", "--seeds", "1", "--impressions", "2000", "--profiles", "normal/mid/roi",
            "--bidders", "fixed,siyu", "--processes", "1", "--format", "table"]
    out = run_piped(*args, columns=80).stdout
    assert "1 profile × 1 seed," in out and not ONE_PLURAL.search(out)
    assert "…" not in out and widest_line(out) <= 80
    board = json.loads(run_piped(*args[:-2], "--format", "json").stdout)["overall"]
    for r in board:
        assert r["bidder"] in out
        assert f"{r['efficiency_ceiling']:.3f}" in out and f"{r['budget_use']:.1%}" in out


# -- the renderer -------------------------------------------------------------------------------------------
def test_row_table_never_cuts_a_number_at_any_width():
    from rich.console import Console

    from siyu.cli._render import render_rows

    rows = [{"label": "会员客单价 ÷ 大盘 Member ÷ overall spend per buyer", "gmv": 4_506_912.57, "share": 0.2371,
             "count": 1_234_567, "note": "近 30 天 1200 笔、转化率 3.5%，全站推优势最大"}] * 3
    for width in (200, 100, 60, 40, 30):
        console = Console(width=width, record=True, file=io.StringIO())
        console.print(render_rows(rows, "table", headers={"note": "理由 Reasons"}))
        out = console.export_text()
        assert "…" not in out and widest_line(out) <= width
        for text in ("¥4,506,912.57", "23.7%", "1,234,567", "3.5%", "1200"):
            assert out.count(text) == 3, (width, text)


def test_wrap_text_breaks_at_spaces_and_chinese_never_inside_a_number():
    from siyu.cli._render import wrap_text

    text = "此目标下预计 7 天消耗约 ¥110,000；预算不低于此值就不会限制跑量 / budget ¥110,000 never binds"
    for width in range(9, 40):
        lines = wrap_text(text, width).splitlines()
        assert all(widest_line(line) <= width for line in lines)
        assert sum("¥110,000" in line for line in lines) == 2, width


def test_fast_says_why_a_change_is_missing(store):
    """A change shown as – is explained under the table, with labels, never raw keys."""
    out = run_piped("-w", store, "fast", "--format", "table").stdout
    notes = [line for line in out.splitlines() if "not comparable" in line]
    assert notes and all(line.startswith("– ") and "无可比数据" in line for line in notes)
    assert any("加深率(可加深口径)" in line for line in notes)
    assert not [k for k in RAW_KEYS if k in out]
