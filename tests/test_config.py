"""The typed configuration: the documented defaults, siyu.toml loading, unknown keys rejected."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from siyu import ConfigError, SiyuConfig, Workspace
from siyu.config import load_config

DOC = Path(__file__).resolve().parents[1] / "docs" / "customer-assets.md"


def _documented_defaults() -> dict[str, object]:
    """The table of docs/customer-assets.md §Settings: setting -> its default (a Python literal)."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("\n## Settings"):]
    table = table[: table.index("\n## ", 1)]
    return {k: ast.literal_eval(v) for k, v in re.findall(r"^\| `(\w+)`[^|]*\| `([^`]+)` \|", table, re.M)}


def test_every_documented_default_is_a_named_setting_with_the_same_value():
    documented = _documented_defaults()
    cfg = SiyuConfig()
    assert set(documented) == {"tz", *type(cfg.model).model_fields}  # every [model] setting is documented
    for name, value in documented.items():
        got = cfg.workspace.tz if name == "tz" else getattr(cfg.model, name)
        assert got == value, (name, got, value)


def test_toml_overrides_and_unknown_keys(tmp_path):
    f = tmp_path / "siyu.toml"
    f.write_text('[model]\nl_min_purchase_days = 3\nad_click_stage = "I"\n[workspace]\ntz = "UTC"\n')
    cfg = load_config(f)
    assert (cfg.model.l_min_purchase_days, cfg.model.ad_click_stage, cfg.workspace.tz) == (3, "I", "UTC")
    assert cfg.model.a_days == 15
    f.write_text("[model]\nl_min_purchse_days = 3\n")
    with pytest.raises(ConfigError, match="l_min_purchse_days"):
        load_config(f)
    f.write_text("[modle]\na_days = 3\n")
    with pytest.raises(ConfigError, match="modle"):
        load_config(f)


@pytest.mark.parametrize("body, words", [
    ('[model]\nad_click_stage = "P"\n', "ad_click_stage"),
    ("[model]\na_days = 0\n", "a_days"),
    ("[model]\ngain_weights = [0.5, 0.5, 0.5, 0.5]\n", "sum"),
    ("[model]\nmid_value_pct = [0.9, 0.2]\n", "mid_value_pct"),
    ('[workspace]\ntz = "Mars/Olympus"\n', "time zone"),
    ("[model\n", "not valid TOML"),
])
def test_bad_values_are_refused_with_the_key(tmp_path, body, words):
    f = tmp_path / "siyu.toml"
    f.write_text(body)
    with pytest.raises(ConfigError, match=re.escape(words)):
        load_config(f)


def test_init_writes_a_complete_config_that_reloads_identically(tmp_path):
    from siyu.config import WorkspaceSettings, config_template

    ws = Workspace.init(tmp_path / "w")
    text = (ws.path / "siyu.toml").read_text()
    assert load_config(ws.path / "siyu.toml") == SiyuConfig()
    assert "# l_min_purchase_days = 2" in text  # shown, commented out: defaults stay live
    # uncommenting every line gives the same configuration; a chosen value is written live
    chosen = SiyuConfig(workspace=WorkspaceSettings(tz="UTC"))
    f = tmp_path / "all.toml"
    f.write_text("\n".join(line[2:] if line.startswith("# ") and " = " in line else line
                           for line in config_template(chosen).splitlines()))
    assert load_config(f) == chosen
    assert '\ntz = "UTC"' in config_template(chosen)
