"""Templating in both worlds.

Most features are checked in three ways of rendering: a plain call in a sync
view (on the request's worker thread), a plain call in an async view (on the
event loop) and ``await render_template`` in an async view.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import typing as t
from pathlib import Path

import pytest
from jinja2 import StrictUndefined, TemplateNotFound, UndefinedError

import pottle
from pottle import (
    before_render_template,
    flash,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    session,
    stream_template,
    stream_template_string,
    template_rendered,
)
from pottle._concurrency import in_loop_thread

MODES = ["worker", "loop", "await"]


def add_views(app: pottle.Pottle, name: str | None = None, **context: t.Any) -> None:
    """``/worker``, ``/loop`` and ``/await`` render the template ``name`` (or
    the source ``context["source"]``) in the three ways."""
    source = context.pop("source", None)

    def plain() -> str:
        if source is not None:
            return t.cast(str, render_template_string(source, **context))
        return t.cast(str, render_template(name, **context))  # type: ignore[arg-type]

    @app.get("/worker")
    def worker() -> str:
        return plain()

    @app.get("/loop")
    async def loop() -> str:
        return plain()

    @app.get("/await")
    async def awaited() -> str:
        if source is not None:
            return t.cast(str, await render_template_string(source, **context))
        return t.cast(str, await render_template(name, **context))  # type: ignore[arg-type]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return t.cast(str, request.param)


# -- the environment ----------------------------------------------------------


def test_flask_globals(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    app.config["GREETING"] = "hi"
    add_views(app, "globals.html")

    @app.get("/")
    def index() -> str:
        flash("one")
        session["user"] = "ann"
        return ""

    @app.before_request
    def set_g() -> None:
        g.who = "gee"

    client.get("/")
    rv = client.get(f"/{mode}")
    assert rv.text.strip() == f"/|one|hi|/{mode}|ann|gee"


def test_extends_a_base_layout(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    add_views(app, "page.html", title="Home", text="<b>")
    assert client.get(f"/{mode}").text.split() == [
        "<title>Home</title>",
        "<main>&lt;b&gt;</main>",
    ]


def test_tojson_is_safe_in_html(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    add_views(app, source="<script>var d = {{ d|tojson }};</script>", d={"b": "</s>"})
    assert client.get(f"/{mode}").text == (
        '<script>var d = {"b": "\\u003c/s\\u003e"};</script>'
    )


@pytest.mark.parametrize(
    ("filename", "escaped"),
    [
        ("a.html", True),
        ("a.htm", True),
        ("a.xml", True),
        ("a.xhtml", True),
        ("a.svg", True),
        ("a.txt", False),
        ("a.js", False),
        (None, True),
    ],
)
def test_autoescape_selection(
    app: pottle.Pottle, filename: str | None, escaped: bool
) -> None:
    assert app.select_jinja_autoescape(filename) is escaped


@pytest.mark.parametrize(
    ("name", "expected"), [("escape.html", "&lt;i&gt;"), ("escape.txt", "<i>")]
)
def test_autoescape_by_file(
    app: pottle.Pottle, client: t.Any, mode: str, name: str, expected: str
) -> None:
    add_views(app, name, text="<i>")
    assert client.get(f"/{mode}").text.strip() == expected


def test_registered_filters_tests_and_globals(
    app: pottle.Pottle, client: t.Any, mode: str
) -> None:
    @app.template_filter()
    def shout(s: str) -> str:
        return s.upper()

    @app.template_test("even")
    def is_even(n: int) -> bool:
        return n % 2 == 0

    @app.template_global()
    def twice(n: int) -> int:
        return 2 * n

    app.add_template_filter(lambda s: s[::-1], "rev")
    app.add_template_test(lambda n: n > 10, "big")
    app.add_template_global(lambda: "lambda", "anon")
    add_views(
        app,
        source="{{ 'a'|shout }}{{ 'ab'|rev }} {{ 4 is even }}{{ 5 is big }}"
        " {{ twice(3) }}{{ anon() }}",
    )
    assert client.get(f"/{mode}").text == "Aba TrueFalse 6lambda"


def test_render_a_list_of_names(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    add_views(app, ["missing.html", "escape.txt"], text="second")  # type: ignore[arg-type]
    assert client.get(f"/{mode}").text.strip() == "second"


def test_missing_template(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    add_views(app, "nope.html")
    with pytest.raises(TemplateNotFound):
        client.get(f"/{mode}")


def test_settings_changed_later_reach_the_async_environment(
    app: pottle.Pottle,
) -> None:
    async def render() -> str:
        async with app.app_context():
            return t.cast(str, await render_template_string("[{{ missing }}]"))

    assert asyncio.run(render()) == "[]"
    app.jinja_env.undefined = StrictUndefined
    with pytest.raises(UndefinedError):
        asyncio.run(render())

    app.jinja_env.add_extension("jinja2.ext.loopcontrols")

    async def loop_controls() -> str:
        async with app.app_context():
            source = "{% for i in [1, 2, 3] %}{% if i == 2 %}{% break %}{% endif %}"
            return t.cast(
                str, await render_template_string(source + "{{ i }}{% endfor %}")
            )

    assert asyncio.run(loop_controls()) == "1"


def test_async_environment_shares_registrations(app: pottle.Pottle) -> None:
    env = app.jinja_env
    twin = env.async_env
    assert twin.is_async and not env.is_async
    assert twin.globals is env.globals
    assert twin.filters is env.filters
    assert twin.tests is env.tests
    assert twin.loader is env.loader
    assert env.async_env is twin
    assert twin.async_env is twin  # type: ignore[attr-defined]


# -- context processors -------------------------------------------------------


def test_sync_context_processor(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    threads: list[bool] = []

    @app.context_processor
    def inject() -> dict[str, t.Any]:
        threads.append(in_loop_thread())
        return {"text": "from processor", "title": "overridden"}

    add_views(app, "page.html", title="argument wins")
    assert "<title>argument wins</title>" in client.get(f"/{mode}").text
    assert "from processor" in client.get(f"/{mode}").text
    # Awaited, a sync processor goes to the worker thread; a plain call in an
    # async view runs it right there, on the loop.
    assert threads == [mode == "loop"] * 2


@pytest.mark.parametrize("mode", ["worker", "await"])
def test_async_context_processor(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    @app.context_processor
    async def inject() -> dict[str, t.Any]:
        await asyncio.sleep(0)
        return {"text": "async processor"}

    add_views(app, "escape.txt")
    assert client.get(f"/{mode}").text.strip() == "async processor"


def test_async_context_processor_in_plain_render_on_loop_says_await(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.context_processor
    async def inject() -> dict[str, t.Any]:
        return {}

    add_views(app, "escape.txt")
    with pytest.raises(RuntimeError) as exc_info:
        client.get("/loop")
    message = str(exc_info.value)
    assert "context processor" in message
    assert "inject" in message
    assert "await render_template(...)" in message


def test_blueprint_context_processors(app: pottle.Pottle, client: t.Any) -> None:
    bp = pottle.Blueprint("bp", __name__)

    @bp.context_processor
    def own() -> dict[str, t.Any]:
        return {"text": "bp"}

    @bp.app_context_processor
    def everywhere() -> dict[str, t.Any]:
        return {"title": "app-wide"}

    @bp.get("/bp")
    async def in_bp() -> str:
        return t.cast(str, await render_template("page.html"))

    @app.get("/")
    def outside() -> str:
        return render_template("page.html", text="app")

    app.register_blueprint(bp)
    assert client.get("/bp").text.split() == [
        "<title>app-wide</title>",
        "<main>bp</main>",
    ]
    assert client.get("/").text.split() == [
        "<title>app-wide</title>",
        "<main>app</main>",
    ]


# -- async templates ----------------------------------------------------------


def test_awaited_render_awaits_async_functions(
    app: pottle.Pottle, client: t.Any
) -> None:
    async def numbers() -> t.AsyncIterator[int]:
        for n in range(3):
            await asyncio.sleep(0)
            yield n

    async def fetch(key: str) -> str:
        await asyncio.sleep(0)
        return key.upper()

    @app.get("/")
    async def index() -> str:
        return t.cast(
            str, await render_template("async.html", numbers=numbers, fetch=fetch)
        )

    assert client.get("/").text.strip() == "0,1,2,X"


def test_render_outside_a_request(app: pottle.Pottle) -> None:
    app.config["GREETING"] = "hey"
    source = "{{ config.GREETING }} {{ request.path if request else 'none' }}"
    with app.app_context():
        assert render_template_string(source) == "hey none"

    async def render() -> str:
        async with app.app_context():
            return t.cast(str, await render_template_string(source))

    assert asyncio.run(render()) == "hey none"


def test_render_needs_an_app_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("x")


# -- streaming ----------------------------------------------------------------


def test_plain_stream_is_an_iterator(app: pottle.Pottle) -> None:
    with app.test_request_context("/path"):
        stream = stream_template_string("{{ request.path }}")
        assert not isinstance(stream, str)
        assert "".join(stream) == "/path"


def test_awaited_stream_is_an_async_iterator(app: pottle.Pottle) -> None:
    async def collect() -> list[str]:
        async with app.test_request_context("/path"):
            stream = await stream_template("page.html", title="t", text="x")
            return [chunk async for chunk in stream]

    chunks = asyncio.run(collect())
    assert "".join(chunks).split() == ["<title>t</title>", "<main>x</main>"]


@pytest.mark.parametrize("mode", MODES)
def test_streamed_response(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    where: list[bool] = []

    def probe() -> str:
        where.append(in_loop_thread())
        return pottle.request.path

    source = "{% for i in range(3) %}{{ i }}{% endfor %}{{ probe() }}"

    @app.get("/worker")
    def worker() -> t.Any:
        return stream_template_string(source, probe=probe)

    @app.get("/loop")
    async def loop() -> t.Any:
        return stream_template_string(source, probe=probe)

    @app.get("/await")
    async def awaited() -> t.Any:
        return await stream_template_string(source, probe=probe)

    assert client.get(f"/{mode}").text == f"012/{mode}"
    # A plainly made stream renders on the worker thread, even when it was
    # made in an async view; an awaited one renders on the loop.
    assert where == [mode == "await"]


# -- signals ------------------------------------------------------------------


def test_template_signals(app: pottle.Pottle, client: t.Any, mode: str) -> None:
    events: list[tuple[str, str, str | None]] = []

    def before(sender: t.Any, template: t.Any, context: t.Any) -> None:
        assert sender is app
        events.append(("before", context["text"], template.name))

    async def after(sender: t.Any, template: t.Any, context: t.Any) -> None:
        events.append(("after", context["text"], template.name))

    add_views(app, "escape.txt", text="hi")
    before_render_template.connect(before, app)
    if mode != "loop":
        template_rendered.connect(after, app)
    try:
        client.get(f"/{mode}")
    finally:
        before_render_template.disconnect(before, app)
        template_rendered.disconnect(after, app)
    expected = [("before", "hi", "escape.txt")]
    if mode != "loop":
        expected.append(("after", "hi", "escape.txt"))
    assert events == expected


def test_async_signal_receiver_in_plain_render_on_loop_says_await(
    app: pottle.Pottle, client: t.Any
) -> None:
    async def after(sender: t.Any, **kwargs: t.Any) -> None:
        pass

    add_views(app, "escape.txt")
    with template_rendered.connected_to(after, app):
        with pytest.raises(RuntimeError, match="'template-rendered' receiver"):
            client.get("/loop")
        assert client.get("/worker").status_code == 200
        assert client.get("/await").status_code == 200


def test_sync_signal_receiver_of_awaited_render_runs_on_worker(
    app: pottle.Pottle, client: t.Any
) -> None:
    threads: list[tuple[int, bool]] = []

    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        threads.append((threading.get_ident(), in_loop_thread()))

    add_views(app, "escape.txt")
    with template_rendered.connected_to(receiver, app):
        client.get("/await")
    assert threads == [(threading.get_ident(), False)]


# -- template attributes ------------------------------------------------------


def test_get_template_attribute(app: pottle.Pottle) -> None:
    with app.app_context():
        hello = get_template_attribute("macros.html", "hello")
        assert hello("World") == "Hello World!"
        assert get_template_attribute("macros.html", "answer") == 42


def test_get_template_attribute_awaited(app: pottle.Pottle) -> None:
    async def use() -> tuple[str, int]:
        async with app.app_context():
            hello = await get_template_attribute("macros.html", "hello")
            answer = await get_template_attribute("macros.html", "answer")
            return await hello("World"), answer

    assert asyncio.run(use()) == ("Hello World!", 42)


# -- loading ------------------------------------------------------------------


def make_bp_templates(tmp_path: Path) -> pottle.Blueprint:
    folder = tmp_path / "templates"
    (folder / "bp").mkdir(parents=True)
    (folder / "bp" / "own.html").write_text("blueprint's own")
    (folder / "escape.html").write_text("shadowed by the app's")
    return pottle.Blueprint(
        "bp", __name__, template_folder="templates", root_path=str(tmp_path)
    )


def test_blueprint_templates(
    app: pottle.Pottle, client: t.Any, tmp_path: Path, mode: str
) -> None:
    bp = make_bp_templates(tmp_path)
    add_views(bp, "bp/own.html")  # type: ignore[arg-type]
    app.register_blueprint(bp, url_prefix="/bp")
    add_views(app, "escape.html", text="the app's own")
    assert client.get(f"/bp/{mode}").text == "blueprint's own"
    # The app's folder is searched first.
    assert client.get(f"/{mode}").text.strip() == "the app&#39;s own"
    assert {"bp/own.html", "escape.html", "page.html"} <= set(
        app.jinja_env.list_templates()
    )


def test_explain_template_loading(
    app: pottle.Pottle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    app.register_blueprint(make_bp_templates(tmp_path))
    with caplog.at_level(logging.INFO, logger=app.logger.name), app.app_context():
        render_template("bp/own.html")
        with pytest.raises(TemplateNotFound):
            render_template("absent.html")
    first, second = (r.getMessage() for r in caplog.records)
    assert "Locating template 'bp/own.html'" in first
    assert "trying loader of application 'test_app'" in first
    assert "trying loader of blueprint 'bp'" in first
    assert "found (" in first
    assert "Error: the template could not be found." in second


@pytest.mark.parametrize(
    ("setting", "debug", "reloads"),
    [
        (True, False, True),
        (False, True, False),
        (None, True, True),
        (None, False, False),
    ],
)
def test_templates_auto_reload(
    tmp_path: Path, setting: bool | None, debug: bool, reloads: bool
) -> None:
    (tmp_path / "templates").mkdir()
    template = tmp_path / "templates" / "t.txt"
    app = pottle.Pottle("reload", root_path=str(tmp_path))
    app.config["TEMPLATES_AUTO_RELOAD"] = setting
    app.debug = debug

    async def both() -> tuple[str, str]:
        async with app.app_context():
            awaited = await render_template("t.txt")
        with app.app_context():
            return render_template("t.txt"), awaited

    template.write_text("one")
    assert asyncio.run(both()) == ("one", "one")
    template.write_text("two")
    stat = template.stat()
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    expected = "two" if reloads else "one"
    assert asyncio.run(both()) == (expected, expected)
