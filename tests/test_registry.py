"""The capability registry walked: every command, report section and setting is documented and has a test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TESTS = {p: p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py") if p.name != "test_registry.py"}
#: settings read by no code yet; their description must say so
RESERVED = {("workspace", "currency"), ("model", "attribution_days_xhs")}


def _commands():
    """Every command path of the CLI: ("aipl",), ("clv", "fit"), …, with the capability that registers it."""
    import typer
    from typer.main import get_command

    from siyu.registry import capabilities, load

    out = []
    for cap in capabilities():
        if not cap.cli:
            continue
        app = typer.Typer()
        load(cap.cli).register(app)
        group = get_command(app)
        for name, cmd in getattr(group, "commands", {}).items():
            subs = getattr(cmd, "commands", None)
            if subs:
                out += [(cap.name, (name, sub)) for sub in subs]
            else:
                out.append((cap.name, (name,)))
    return out


COMMANDS = _commands()


def test_capabilities_are_well_formed():
    from siyu.config import SiyuConfig
    from siyu.registry import capabilities, load

    caps = capabilities()
    assert len({c.name for c in caps}) == len(caps)
    for cap in caps:
        assert (ROOT / cap.docs).is_file(), cap.docs
        assert cap.docs in README or any(cap.docs.split("/")[-1] in p.read_text(encoding="utf-8")
                                         for p in (ROOT / "docs").glob("*.md")), cap.docs
        load(cap.package)
        if cap.cli:
            assert callable(load(cap.cli).register)
        if cap.snapshot:
            assert callable(load(cap.snapshot))
        assert set(cap.settings) <= set(SiyuConfig.model_fields), cap.settings


def test_the_cli_is_exactly_what_the_registry_registers():
    from typer.main import get_command

    from siyu.cli import app

    root = get_command(app).commands
    names = {path[0] for _, path in COMMANDS}
    assert names == set(root)
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("cap, path", COMMANDS, ids=[" ".join(p) for _, p in COMMANDS])
def test_every_command_is_documented_and_tested(cap, path):
    assert f"### `siyu {' '.join(path)}`" in README
    quoted = r",\s*".join(f"[\"']{re.escape(p)}[\"']" for p in path)
    hits = [p.name for p, text in TESTS.items() if re.search(quoted, text)
            and ("run_cli" in text or "CliRunner" in text or '"siyu"' in text or "siyu_cli" in text)]
    assert hits, f"no test runs `siyu {' '.join(path)}`"


def test_every_report_section_is_documented_and_rendered_by_a_test():
    from siyu.report.page import load_sections

    doc = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    sections = load_sections()
    assert len(sections) >= 8
    for name in sections:
        assert f"`{name}`" in doc, name
    report_tests = TESTS[ROOT / "tests" / "test_report.py"]
    assert "for name in SECTIONS" in report_tests and 'id="section-{name}"' in report_tests


def _settings():
    from siyu.config import iter_settings

    return [(section, key, f) for section, key, f, _ in iter_settings()]


@pytest.mark.parametrize("section, key, field", _settings(), ids=[f"{s}.{k}" for s, k, _ in _settings()])
def test_every_setting_is_documented_and_tested(section, key, field):
    assert f"| `[{section}]` | `{key}` |" in README
    assert field.description
    if (section, key) in RESERVED:
        assert "Reserved" in field.description
        return
    assert any(re.search(rf"\b{re.escape(key)}\b", text) for text in TESTS.values()), f"no test uses {key}"


def test_every_capability_owns_its_settings_sections():
    from siyu.config import SiyuConfig
    from siyu.registry import capabilities

    owned = {s for c in capabilities() for s in c.settings}
    assert owned == set(SiyuConfig.model_fields)
