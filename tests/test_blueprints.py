from __future__ import annotations

import typing as t
from pathlib import Path

import click
import pytest
from werkzeug.exceptions import Forbidden

import pottle
from pottle import Blueprint, abort, g, render_template_string, request, url_for
from pottle.blueprints import BlueprintSetupState


def where() -> str:
    return f"{request.endpoint} {request.path} {url_for('.here')}"


def here_bp(name: str, **kwargs: t.Any) -> Blueprint:
    """A blueprint with one view, ``here``, that reports its endpoint, path
    and its own relative URL."""
    bp = Blueprint(name, __name__, **kwargs)
    bp.add_url_rule("/here", "here", where)
    return bp


# -- prefixes, names, nesting ------------------------------------------------


@pytest.mark.parametrize(
    ("bp_prefix", "option", "path"),
    [
        (None, None, "/here"),
        ("/pre", None, "/pre/here"),
        ("/pre/", None, "/pre/here"),
        ("/pre", "/other", "/other/here"),
        (None, "/opt", "/opt/here"),
    ],
)
def test_url_prefix(
    app: pottle.Pottle,
    client: t.Any,
    bp_prefix: str | None,
    option: str | None,
    path: str,
) -> None:
    options = {"url_prefix": option} if option else {}
    app.register_blueprint(here_bp("bp", url_prefix=bp_prefix), **options)
    assert client.get(path).text == f"bp.here {path} {path}"


def test_empty_rule_is_the_prefix(app: pottle.Pottle, client: t.Any) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/section")
    bp.add_url_rule("", "index", lambda: "index")
    app.register_blueprint(bp)
    assert client.get("/section").text == "index"


def test_nested_blueprints(app: pottle.Pottle, client: t.Any) -> None:
    parent = here_bp("parent", url_prefix="/parent")
    child = here_bp("child", url_prefix="/child")
    grandchild = here_bp("grandchild")
    child.register_blueprint(grandchild, url_prefix="/gc")
    parent.register_blueprint(child)
    app.register_blueprint(parent)

    assert client.get("/parent/here").text == "parent.here /parent/here /parent/here"
    assert client.get("/parent/child/here").text == (
        "parent.child.here /parent/child/here /parent/child/here"
    )
    assert client.get("/parent/child/gc/here").text == (
        "parent.child.grandchild.here /parent/child/gc/here /parent/child/gc/here"
    )
    assert list(app.blueprints) == ["parent", "parent.child", "parent.child.grandchild"]

    with app.test_request_context("/parent/child/gc/here"):
        assert request.blueprint == "parent.child.grandchild"
        assert request.blueprints == [
            "parent.child.grandchild",
            "parent.child",
            "parent",
        ]


def test_registering_a_setup_method_after_registration_fails(
    app: pottle.Pottle,
) -> None:
    bp = here_bp("bp")
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):
        bp.before_request(lambda: None)


def test_register_twice_under_another_name(app: pottle.Pottle, client: t.Any) -> None:
    bp = here_bp("bp")
    seen: list[str] = []

    @bp.before_request
    def note() -> None:
        seen.append(t.cast(str, request.blueprint))

    app.register_blueprint(bp, url_prefix="/a")
    app.register_blueprint(bp, url_prefix="/b", name="second")
    assert client.get("/a/here").text == "bp.here /a/here /a/here"
    assert client.get("/b/here").text == "second.here /b/here /b/here"
    assert seen == ["bp", "second"]
    with app.test_request_context():
        assert url_for("second.here") == "/b/here"


def test_same_name_twice_is_refused(app: pottle.Pottle) -> None:
    bp = here_bp("bp")
    app.register_blueprint(bp)
    with pytest.raises(ValueError, match="'bp' is already registered for this"):
        app.register_blueprint(bp)
    with pytest.raises(ValueError, match="for a different blueprint"):
        app.register_blueprint(here_bp("bp"))


@pytest.mark.parametrize(
    ("name", "message"), [("", "may not be empty"), ("a.b", "may not contain a dot")]
)
def test_bad_names(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Blueprint(name, __name__)


def test_dotted_endpoints_are_refused() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.add_url_rule("/", "a.b", lambda: "")

    def view() -> str:
        return ""

    view.__name__ = "has.dot"
    with pytest.raises(ValueError, match="'view_func' name may not contain a dot"):
        bp.add_url_rule("/", view_func=view)


def test_subdomains(app: pottle.Pottle, client: t.Any) -> None:
    app.config["SERVER_NAME"] = "example.test"
    app.subdomain_matching = True
    api = here_bp("api", subdomain="api")
    v1 = here_bp("v1", subdomain="v1")
    api.register_blueprint(v1, url_prefix="/v1")
    app.register_blueprint(api)
    rv = client.get("/here", "http://api.example.test/")
    assert rv.text == "api.here /here /here"
    rv = client.get("/v1/here", "http://v1.api.example.test/")
    assert rv.text == "api.v1.here /v1/here /v1/here"
    assert client.get("/here", "http://example.test/").status_code == 404
    with app.app_context():
        assert url_for("api.v1.here") == "http://v1.api.example.test/v1/here"


def test_url_defaults(app: pottle.Pottle, client: t.Any) -> None:
    bp = Blueprint("bp", __name__, url_defaults={"lang": "en", "page": 1})

    @bp.route("/list")
    def listing(lang: str, page: int) -> str:
        return f"{lang} {page}"

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="fr", url_prefix="/fr", url_defaults={"lang": "fr"})
    assert client.get("/list").text == "en 1"
    assert client.get("/fr/list").text == "fr 1"
    with app.test_request_context():
        assert url_for("bp.listing") == "/list"
        assert url_for("fr.listing") == "/fr/list"


# -- record and the setup state -----------------------------------------------


def test_record_and_record_once(app: pottle.Pottle) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp", subdomain="sub")
    every: list[tuple[str, bool, str | None, str | None]] = []
    once: list[str] = []

    @bp.record
    def on_each(state: BlueprintSetupState) -> None:
        assert state.app is app and state.blueprint is bp
        every.append(
            (state.name, state.first_registration, state.url_prefix, state.subdomain)
        )

    @bp.record_once
    def on_first(state: BlueprintSetupState) -> None:
        once.append(state.name)

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again", url_prefix="/again", subdomain="x")
    assert every == [("bp", True, "/bp", "sub"), ("again", False, "/again", "x")]
    assert once == ["bp"]


def test_setup_state_add_url_rule_can_be_replaced(
    app: pottle.Pottle, client: t.Any
) -> None:
    """Flask-RESTful wraps the setup state's ``add_url_rule`` in a recorded
    function that runs before the blueprint's own rules are added."""
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    calls: list[str] = []

    @bp.record
    def patch(state: BlueprintSetupState) -> None:
        original = state.add_url_rule

        def add_url_rule(rule: str, *args: t.Any, **kwargs: t.Any) -> None:
            calls.append(rule)
            original(rule.replace("old", "new"), *args, **kwargs)

        state.add_url_rule = add_url_rule  # type: ignore[method-assign]

    bp.add_url_rule("/old", "view", lambda: "patched")
    app.register_blueprint(bp)
    assert calls == ["/old"]
    assert client.get("/bp/new").text == "patched"


def test_custom_setup_state(app: pottle.Pottle, client: t.Any) -> None:
    class UpperState(BlueprintSetupState):
        def add_url_rule(self, rule: str, *args: t.Any, **kwargs: t.Any) -> None:
            super().add_url_rule(rule.upper(), *args, **kwargs)

    class UpperBlueprint(Blueprint):
        def make_setup_state(
            self, app: t.Any, options: dict[str, t.Any], first: bool = False
        ) -> BlueprintSetupState:
            return UpperState(self, app, options, first)

    bp = UpperBlueprint("bp", __name__)
    bp.add_url_rule("/shout", "shout", lambda: "ok")
    app.register_blueprint(bp)
    assert client.get("/SHOUT").text == "ok"


# -- hooks --------------------------------------------------------------------


def test_nested_hook_order(app: pottle.Pottle, client: t.Any) -> None:
    calls: list[str] = []
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    for name, scaffold in (("app", app), ("parent", parent), ("child", child)):

        def make(name: str, hook: str) -> t.Callable[..., t.Any]:
            def hook_fn(*args: t.Any) -> t.Any:
                calls.append(f"{hook}:{name}")
                return args[0] if hook == "after" else None

            return hook_fn

        scaffold.url_value_preprocessor(make(name, "preprocess"))
        scaffold.before_request(make(name, "before"))
        scaffold.after_request(make(name, "after"))
        scaffold.teardown_request(make(name, "teardown"))
        scaffold.context_processor(lambda name=name: {"who": name})

    @child.route("/view")
    async def view() -> str:
        calls.append("view")
        return t.cast(str, await render_template_string("{{ who }}"))

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/p/c/view").text == "child"
    order = ["app", "parent", "child"]
    assert calls == [
        *(f"preprocess:{n}" for n in order),
        *(f"before:{n}" for n in order),
        "view",
        *(f"after:{n}" for n in reversed(order)),
        *(f"teardown:{n}" for n in reversed(order)),
    ]


def test_blueprint_hooks_only_run_for_its_requests(
    app: pottle.Pottle, client: t.Any
) -> None:
    bp = here_bp("bp", url_prefix="/bp")
    seen: list[str] = []

    @bp.before_request
    async def before() -> None:
        seen.append(request.path)

    @app.route("/here")
    def outside() -> str:
        return "app"

    app.register_blueprint(bp)
    client.get("/here")
    client.get("/bp/here")
    assert seen == ["/bp/here"]


def test_before_request_can_answer(app: pottle.Pottle, client: t.Any) -> None:
    bp = here_bp("bp")

    @bp.before_request
    def deny() -> t.Any:
        return "denied", 403

    app.register_blueprint(bp)
    rv = client.get("/here")
    assert (rv.status_code, rv.text) == (403, "denied")


def test_app_wide_hooks(app: pottle.Pottle, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)
    calls: list[str] = []

    @bp.before_app_request
    def before() -> None:
        calls.append("before")

    @bp.after_app_request
    async def after(response: t.Any) -> t.Any:
        calls.append("after")
        return response

    @bp.teardown_app_request
    def teardown(exc: BaseException | None) -> None:
        calls.append("teardown")

    @bp.app_context_processor
    def inject() -> dict[str, t.Any]:
        return {"injected": "yes"}

    @bp.app_url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.lang = (values or {}).pop("lang", None)

    @bp.app_url_defaults
    def push(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("lang", g.lang)

    @bp.app_template_filter("twice")
    def twice(s: str) -> str:
        return s * 2

    @bp.app_template_test("short")
    def short(s: str) -> bool:
        return len(s) < 3

    @bp.app_template_global("answer")
    def answer() -> int:
        return 42

    bp.add_app_template_filter(str.upper, "up")
    bp.add_app_template_test(str.isdigit, "digits")
    bp.add_app_template_global(lambda: "g", "gee")

    @app.route("/<lang>/page")
    def page() -> str:
        return render_template_string(
            "{{ injected }} {{ 'ab'|twice|up }} {{ 'ab' is short }}"
            " {{ '12' is digits }} {{ answer() }}{{ gee() }} {{ url_for('page') }}"
        )

    app.register_blueprint(bp)
    assert client.get("/fr/page").text == "yes ABAB True True 42g /fr/page"
    assert calls == ["before", "after", "teardown"]


# -- errors -------------------------------------------------------------------


class OopsError(Exception):
    pass


def test_blueprint_error_handlers_come_first(app: pottle.Pottle, client: t.Any) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    @app.errorhandler(403)
    def app_403(e: Forbidden) -> tuple[str, int]:
        return "app 403", 403

    @parent.errorhandler(403)
    def parent_403(e: Forbidden) -> tuple[str, int]:
        return "parent 403", 403

    @child.errorhandler(OopsError)
    async def child_oops(e: OopsError) -> str:
        return "child oops"

    @app.errorhandler(OopsError)
    def app_oops(e: OopsError) -> str:
        return "app oops"

    def forbid() -> str:
        abort(403)

    def oops() -> str:
        raise OopsError()

    for scaffold in (app, parent, child):
        scaffold.add_url_rule("/forbid", "forbid", forbid)
        scaffold.add_url_rule("/oops", "oops", oops)
    parent.register_blueprint(child)
    app.register_blueprint(parent)

    assert client.get("/forbid").text == "app 403"
    assert client.get("/p/forbid").text == "parent 403"
    # The child has no 403 handler: its parent's is next.
    assert client.get("/p/c/forbid").text == "parent 403"
    assert client.get("/oops").text == "app oops"
    assert client.get("/p/oops").text == "app oops"
    assert client.get("/p/c/oops").text == "child oops"


def test_app_errorhandler(app: pottle.Pottle, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_errorhandler(404)
    def not_found(e: Exception) -> tuple[str, int]:
        return "from the blueprint", 404

    app.register_blueprint(bp)
    rv = client.get("/nowhere")
    assert (rv.status_code, rv.text) == (404, "from the blueprint")


# -- static files -------------------------------------------------------------


def test_blueprint_static_folder(
    app: pottle.Pottle, client: t.Any, tmp_path: Path
) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "bp.css").write_text("p {}")

    class ShortCache(Blueprint):
        def get_send_file_max_age(self, filename: str | None) -> int:
            return 60

    bp = ShortCache(
        "bp",
        __name__,
        url_prefix="/bp",
        static_folder="assets",
        static_url_path="/files",
        root_path=str(tmp_path),
    )
    app.register_blueprint(bp)
    rv = client.get("/bp/files/bp.css")
    assert rv.text == "p {}"
    assert rv.cache_control.max_age == 60
    assert client.get("/bp/files/missing.css").status_code == 404
    with app.test_request_context():
        assert url_for("bp.static", filename="bp.css") == "/bp/files/bp.css"


# -- CLI ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "args"),
    [
        (pottle.scaffold._sentinel, ["bp", "hello"]),
        (None, ["hello"]),
        ("x", ["x", "hello"]),
    ],
    ids=["own group", "app group", "named group"],
)
def test_blueprint_commands(app: pottle.Pottle, group: t.Any, args: list[str]) -> None:
    bp = Blueprint("bp", __name__, cli_group=group)

    @bp.cli.command("hello")
    def hello() -> None:
        click.echo(f"hello from {pottle.current_app.name}")

    app.register_blueprint(bp)
    result = app.test_cli_runner().invoke(args=args)
    assert result.output == "hello from test_app\n", result.output


def test_cli_group_option_at_registration(app: pottle.Pottle) -> None:
    bp = Blueprint("bp", __name__)
    bp.cli.command("hello")(lambda: click.echo("hi"))
    app.register_blueprint(bp, cli_group="renamed")
    assert app.test_cli_runner().invoke(args=["renamed", "hello"]).output == "hi\n"


# -- Quart's additions --------------------------------------------------------


def test_websocket_routes_and_hooks_register_on_the_app(app: pottle.Pottle) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.websocket("/ws")
    async def ws() -> None:
        pass

    async def before() -> None:
        pass

    def after(response: t.Any) -> t.Any:
        return response

    def teardown(exc: BaseException | None) -> None:
        pass

    bp.before_websocket(before)
    bp.after_websocket(after)
    bp.teardown_websocket(teardown)
    bp.before_app_websocket(before)
    bp.after_app_websocket(after)
    bp.teardown_app_websocket(teardown)
    app.register_blueprint(bp)

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "bp.ws")
    assert rule.rule == "/bp/ws"
    assert rule.websocket
    assert app.view_functions["bp.ws"] is ws
    for funcs, hook in (
        (app.before_websocket_funcs, before),
        (app.after_websocket_funcs, after),
        (app.teardown_websocket_funcs, teardown),
    ):
        assert funcs["bp"] == [hook]
        assert funcs[None] == [hook]


def test_serving_hooks_register_on_the_app(app: pottle.Pottle) -> None:
    bp = Blueprint("bp", __name__)

    async def start() -> None:
        pass

    def stop() -> None:
        pass

    async def life() -> t.AsyncGenerator[None, None]:
        yield

    bp.before_app_serving(start)
    bp.after_app_serving(stop)
    bp.while_app_serving(life)
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again")
    assert app.before_serving_funcs == [start]
    assert app.after_serving_funcs == [stop]
    assert app.while_serving_gens == [life]
