"""CLI of the server: ``siyu serve`` and ``siyu keys create|list|revoke`` (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from siyu.cli._common import Fmt, FormatOpt, emit, err, note

keys_app = typer.Typer(help="API keys of the server: created once and shown once, stored as hashes, one tenant each.",
                       no_args_is_help=True)

Root = Annotated[Path | None, typer.Option(
    "--root", help="Directory of the tenants (one workspace each). \\[default: the current workspace's parent, with "
                   "that workspace as the only tenant]")]


def _root(ctx: typer.Context, root: Path | None) -> tuple[Path, list[str] | None]:
    """(root, only): ``--root`` serves every workspace under it; without it, the current workspace alone."""
    from siyu.workspace import resolve_workspace_path

    if root is not None:
        return root.resolve(), None
    ws = resolve_workspace_path(ctx.find_root().obj).resolve()
    return ws.parent, [ws.name]


def serve(ctx: typer.Context, root: Root = None,
          host: Annotated[str, typer.Option(help="Address to listen on (behind a reverse proxy: 127.0.0.1).")]
          = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
          rate_limit: Annotated[str | None, typer.Option(
              "--rate-limit", help="Requests per key, e.g. 1000/minute. \\[default: \\[server] rate_limit]")] = None
          ) -> None:
    """Serve the HTTP API and the console of the tenants under --root with uvicorn (a tenant without any live key
    gets one, printed once, so the console opens right after `siyu demo`)."""
    import logging

    import uvicorn

    from siyu.server.app import create_app

    base, only = _root(ctx, root)
    app = create_app(base, only=only, rate_limit=rate_limit)
    names = app.state.server.tenants.names()
    if not names:
        err.print(f"warning: no tenant (workspace) under {base}", highlight=False)
    keys = app.state.server.keys
    for tenant in names:  # like Jupyter's token: a first key so the console opens right after `siyu demo`
        if not any(k.tenant == tenant and k.revoked_at is None for k in keys.list()):
            key, rec = keys.create(tenant, "read,write", "console (created by siyu serve)")
            err.print(f"tenant {tenant} had no API key: created {rec.id} (read,write); sign in to the console with\n"
                      f"  {key}\n(shown this once; `siyu keys revoke {rec.id}` to revoke it)", highlight=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    err.print(f"siyu console http://{host}:{port}/console · API http://{host}:{port}/api/v1 · docs "
              f"http://{host}:{port}/docs · tenants: "
              f"{', '.join(names) or '-'} · keys: {app.state.server.keys.path}", highlight=False)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")


@keys_app.command("create")
def keys_create(ctx: typer.Context, tenant: Annotated[str, typer.Option(help="The tenant (workspace name).")],
                scopes: Annotated[str, typer.Option(help="Comma-separated: read, write, send, unmask.")] = "read",
                name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "",
                root: Root = None, fmt: FormatOpt = Fmt.table) -> None:
    """Create a key and print it once (only its hash is stored)."""
    from siyu._exceptions import WorkspaceError
    from siyu.server.keys import KeyStore
    from siyu.server.tenants import Tenants

    base, only = _root(ctx, root)
    if tenant not in Tenants(base, only).names():
        raise WorkspaceError(f"no tenant {tenant!r} under {base} (a tenant is a workspace directory there)")
    key, rec = KeyStore(base).create(tenant, scopes, name)
    if fmt is Fmt.json:
        return emit(rec.public() | {"key": key}, fmt)
    print(key)
    note(f"key {rec.id} ({rec.name}) for tenant {tenant}, scopes {','.join(rec.scopes)}: shown this once; "
         f"only its hash is kept in {KeyStore(base).path}", err)  # stderr: stdout is the key alone


@keys_app.command("list")
def keys_list(ctx: typer.Context, root: Root = None, fmt: FormatOpt = Fmt.table) -> None:
    """The keys: ids, names, tenants, scopes (never the keys)."""
    from siyu.server.keys import KeyStore

    base, _ = _root(ctx, root)
    rows = [k.public() | {"scopes": ",".join(k.scopes)} if fmt is not Fmt.json else k.public()
            for k in KeyStore(base).list()]
    emit(rows, fmt, title="API keys 接口密钥", columns=["id", "name", "tenant", "scopes", "created_at", "revoked_at"])


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id.")],
                root: Root = None) -> None:
    """Revoke a key: it stops working at once."""
    from siyu.server.keys import KeyStore

    base, _ = _root(ctx, root)
    rec = KeyStore(base).revoke(key_id)
    note(f"revoked key {rec.id} ({rec.name}) of tenant {rec.tenant}", err)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``keys`` group to the root app."""
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
