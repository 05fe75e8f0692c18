"""Meta-tests: the README's generated references are current, and every command and setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from siyu._docs import render_readme

README = Path(__file__).resolve().parents[1] / "README.md"


def test_generated_readme_blocks_are_current():
    text = README.read_text(encoding="utf-8")
    assert render_readme(text) == text, "README is stale: run `python -m siyu._docs README.md`"


def test_every_command_and_setting_is_in_the_readme():
    from typer.main import get_command

    from siyu.cli import app
    from siyu.config import iter_settings

    text = README.read_text(encoding="utf-8")
    for name in get_command(app).commands:
        assert f"### `siyu {name}`" in text, name
    for section, key, f, _ in iter_settings():
        assert f"| `[{section}]` | `{key}` |" in text, key
        assert f.description, key


def test_quickstart_has_the_two_commands_and_ci_runs_the_second():
    text = README.read_text(encoding="utf-8")
    quick = text[text.index("## Quickstart"):text.index("## What exists")]
    commands = re.findall(r"```bash\n(.+?)\n```", quick)
    assert len(commands) == 2
    assert commands[0].rstrip().endswith("siyu demo")
    ci = (README.parent / ".ci" / "run").read_text()
    assert commands[1] in ci.splitlines()
