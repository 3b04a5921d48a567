"""Jinja2 (autoescape on) templates, their filters, and the headers every page carries."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import quote

import jinja2
from sanic.request import Request
from sanic.response import HTTPResponse

from ..figures import LEVEL_COLORS, STATUS_COLORS, utc
from ..jsonio import dumps
from .crash import exception_text

__all__ = ["render", "timing", "TEMPLATES", "STATIC", "CSP", "duration", "when"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
#: Only this origin: no CDN, no inline script, no request leaving the server.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def when(ts: float | None) -> str:
    """``"2025-06-15 15:06:40 UTC"``; ``"—"`` for none."""
    text = utc(ts)
    return f"{text[:19]} UTC" if text else "—"


def duration(seconds: float | None) -> str:
    """``"2 h 05 min"``, ``"3 min 07 s"``, ``"4.2 s"``; ``"—"`` for none."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                         trim_blocks=True, lstrip_blocks=True)
ENV.policies["json.dumps_function"] = dumps
ENV.policies["json.dumps_kwargs"] = {}
ENV.filters.update(when=when, duration=duration, segment=lambda text: quote(str(text), safe=""),
                   pct=lambda v: "—" if v is None else f"{v:.1f}%", traceback=exception_text,
                   utc_text=lambda v: f"{v[:10]} {v[11:19]} UTC" if v else "—",
                   pretty=lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=repr))
ENV.globals.update(STATUS_COLORS=STATUS_COLORS, LEVEL_COLORS=LEVEL_COLORS)


def timing(request: Request) -> dict:
    """A ``Server-Timing`` header with the milliseconds spent on ``request`` so far."""
    started = getattr(request.ctx, "started", None)
    if started is None:
        return {}
    return {"Server-Timing": f"app;dur={(time.perf_counter() - started) * 1000:.2f}"}


def render(request: Request, template: str, status: int = 200, **context) -> HTTPResponse:
    """A page from ``template``; the headers carry the CSP and the server time it took."""
    body = ENV.get_template(template).render(path=request.path, **context)
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store",
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
               **timing(request)}
    return HTTPResponse(body, status=status, headers=headers,
                        content_type="text/html; charset=utf-8")
