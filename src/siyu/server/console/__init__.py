"""The web console (控制台): server-rendered pages over the HTTP server's tenants, for people rather than programs.

Sign in with an API key at ``/console/login``; the browser then holds only an ``HttpOnly; SameSite=Strict``
session cookie. Pages under ``/console/{tenant}/`` show the store's KPIs, GAIN, AIPL, pools, LINK+, CLV, the
audience builder, the 全站推 advisor and the pages capabilities register (reach), in Chinese or English
(``?lang=zh|en``), with the report's charts and plotly.js served by the app (no CDN: the console works offline).
Rules: ``docs/server.md``.
"""

from siyu.server.console.routes import PAGES, router

__all__ = ["PAGES", "router"]
