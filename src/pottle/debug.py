"""The traceback page sent for an unhandled exception in debug mode.

pottle has no interactive debugger (werkzeug's is WSGI-only): this page shows
the exception chain with the source around each frame, and the plain
traceback to copy. It shows source code, so it is only ever used in debug
mode. It imports nothing from pottle.
"""

from __future__ import annotations

import html
import linecache
import os
import sysconfig
import traceback
import typing as t

#: Lines of source shown before and after each frame's line.
CONTEXT_LINES = 2

# Frames in these folders (the standard library, installed packages, pottle
# itself) are shown dimmed and without context, so the app's frames stand out.
_LIBRARY_DIRS = tuple(
    os.path.join(os.path.abspath(p), "")
    for k, p in sysconfig.get_paths().items()
    if k in ("stdlib", "platstdlib", "purelib", "platlib")
) + (os.path.join(os.path.dirname(os.path.abspath(__file__)), ""),)

_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"

_STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0; }
.message { font: 1.1em monospace; white-space: pre-wrap; margin: .5em 0 1.5em; }
.frame { margin: .6em 0; border-left: 4px solid #c33; padding-left: .8em; }
.frame.library { border-color: #bbb; color: #777; }
.where { font-size: .9em; }
pre { background: #f6f6f6; padding: .5em; margin: .3em 0; overflow-x: auto; }
.current { background: #fdd; display: block; }
.chain { margin: 1.5em 0 .5em; font-style: italic; }
details { margin-top: 2em; }
"""


def traceback_page(
    exc: BaseException, method: str, path: str, accept: str
) -> tuple[str, bytes]:
    """The content type and body of the page for ``exc``, raised while
    handling ``method path``: HTML if the client accepts it (``accept`` is
    its Accept header), else plain text."""
    plain = "".join(traceback.format_exception(exc))
    if "text/html" not in accept:
        text = f"Internal Server Error ({method} {path})\n\n{plain}"
        return "text/plain; charset=utf-8", text.encode("utf-8", "replace")

    parts = [
        "<!doctype html><meta charset=utf-8>",
        f"<title>{_e(type(exc).__name__)}: {_e(str(exc))}</title>",
        f"<style>{_STYLE}</style>",
        f"<p>Unhandled exception while handling <code>{_e(method)}"
        f" {_e(path)}</code> (shown because the app is in debug mode).</p>",
    ]
    for te, sentence in _chain(traceback.TracebackException.from_exception(exc)):
        if sentence:
            parts.append(f'<p class="chain">{_e(sentence)}</p>')
        parts.append(_exception_html(te))
    parts.append(
        f"<details><summary>Plain traceback</summary><pre>{_e(plain)}</pre></details>"
    )
    return "text/html; charset=utf-8", "\n".join(parts).encode("utf-8", "replace")


def _chain(
    te: traceback.TracebackException,
) -> list[tuple[traceback.TracebackException, str]]:
    """The chained exceptions, oldest first as Python prints them, each with
    the sentence printed before it."""
    chain: list[tuple[traceback.TracebackException, str]] = []
    current: traceback.TracebackException | None = te
    while current is not None:
        older, sentence = None, ""
        if current.__cause__ is not None:
            older, sentence = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            older, sentence = current.__context__, _CONTEXT
        chain.append((current, sentence))
        current = older
    return chain[::-1]


def _exception_html(te: traceback.TracebackException) -> str:
    name = _e(te.exc_type.__name__ if te.exc_type else "Exception")
    message = _e("".join(te.format_exception_only()).strip())
    frames = "\n".join(_frame_html(frame) for frame in te.stack)
    return f'<h1>{name}</h1>\n<div class="message">{message}</div>\n{frames}'


def _frame_html(frame: traceback.FrameSummary) -> str:
    filename = frame.filename
    lineno = frame.lineno or 0
    library = os.path.abspath(filename).startswith(_LIBRARY_DIRS)
    context = 0 if library else CONTEXT_LINES
    lines = []
    for number in range(max(lineno - context, 1), lineno + context + 1):
        line = linecache.getline(filename, number).rstrip()
        css = ' class="current"' if number == lineno and not library else ""
        lines.append(f"<span{css}>{number:>5}  {_e(line)}</span>")
    code = "\n".join(lines)
    return (
        f'<div class="frame{" library" if library else ""}">'
        f'<div class="where">File <b>{_e(filename)}</b>, line {lineno},'
        f" in <code>{_e(frame.name)}</code></div>"
        f"<pre>{code}</pre></div>"
    )


def _e(value: t.Any) -> str:
    return html.escape(str(value), quote=True)
