"""Generated reference sections of README.md: CLI (from ``--help``), data contract, configuration.

``python -m siyu._docs`` rewrites the generated blocks of README.md in place;
``tests/test_docs.py`` fails when they are stale (datasette's test_docs habit).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

__all__ = ["cli_reference", "config_reference", "contract_reference", "render_readme"]

WIDTH = 100


def _help(*args: str) -> str:
    """The ``--help`` text of ``siyu *args``, rendered at a fixed width without colours."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "FORCE_COLOR", "PY_COLORS")}
    env.update(TERMINAL_WIDTH=str(WIDTH), COLUMNS=str(WIDTH), NO_COLOR="1", _TYPER_FORCE_DISABLE_TERMINAL="1")
    out = subprocess.run([sys.executable, "-m", "siyu", *args, "--help"], capture_output=True, text=True,
                         env=env, check=True).stdout
    return "\n".join(line.rstrip() for line in out.strip().splitlines())


def cli_reference() -> str:
    """Markdown: the ``--help`` text of ``siyu`` and of every subcommand."""
    from typer.main import get_command

    from siyu.cli import app

    parts = ["### `siyu`\n\n```text\n" + _help() + "\n```"]
    for name, cmd in get_command(app).commands.items():
        parts.append(f"### `siyu {name}`\n\n```text\n" + _help(name) + "\n```")
        for sub in getattr(cmd, "commands", {}):
            parts.append(f"### `siyu {name} {sub}`\n\n```text\n" + _help(name, sub) + "\n```")
    return "\n\n".join(parts)


def contract_reference() -> str:
    """Markdown table of every contract table and column (from :data:`siyu.contract.TABLES`)."""
    from siyu.contract import TABLES

    lines = ["| table | key | column | type | rule |", "|---|---|---|---|---|"]
    for spec in TABLES.values():
        key = ", ".join(spec.key) + (" (hash of all fields if absent)" if spec.hashed_key else "")
        for i, c in enumerate(spec.columns):
            rule = ["required" if c.required else "optional"]
            if c.enum:
                rule.append("one of " + ", ".join(c.enum))
            if c.min is not None:
                rule.append(f"≥ {c.min:g}")
            if c.max is not None:
                rule.append(f"≤ {c.max:g}")
            if c.not_above:
                rule.append(f"≤ {c.not_above}")
            if c.after:
                rule.append(f"≥ {c.after}")
            if c.default is not None:
                rule.append(f"default {c.default}")
            if c.doc:
                rule.append(c.doc)
            for col, other, ocol in spec.references:
                if col == c.name:
                    rule.append(f"must exist in {other}.{ocol}")
            lines.append(f"| {spec.name if i == 0 else ''} | {key if i == 0 else ''} | `{c.name}` | {c.kind} | "
                         f"{'; '.join(rule)} |")
    return "\n".join(lines)


def config_reference() -> str:
    """Markdown table of every setting of ``siyu.toml`` with its default (as written in TOML) and meaning."""
    from siyu.config import _toml_value, iter_settings

    lines = ["| section | key | default | meaning |", "|---|---|---|---|"]
    for section, name, f, value in iter_settings():
        default = "(not set)" if value is None else _toml_value(value)
        lines.append(f"| `[{section}]` | `{name}` | `{_cell(default)}` | {_cell(f.description or '')} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell (a ``|`` would end the cell)."""
    return text.replace("|", "\\|").replace("\n", " ")


_BLOCKS = {"cli": cli_reference, "contract": contract_reference, "config": config_reference}


def render_readme(text: str) -> str:
    """``text`` with every ``<!-- BEGIN name -->…<!-- END name -->`` block regenerated."""
    for name, fn in _BLOCKS.items():
        pat = re.compile(rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.S)
        if not pat.search(text):
            raise ValueError(f"README has no generated block {name!r}")
        text = pat.sub(lambda m: m.group(1) + fn() + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":  # pragma: no cover
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(render_readme(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {path}")
