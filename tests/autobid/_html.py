"""Text checks on plotly HTML: plotly writes the figure JSON with orjson (raw UTF-8) when it is installed and with
the json module (\\uXXXX escapes) when it is not, so a label may appear either way."""

from __future__ import annotations

import json


def shows(html: str, text: str) -> bool:
    """Whether ``text`` appears in ``html`` as written or JSON-escaped."""
    return text in html or json.dumps(text)[1:-1] in html
