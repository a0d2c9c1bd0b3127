from __future__ import annotations

import asyncio
import functools
import typing as t

import pytest

import pottle
from pottle import current_app, request
from pottle._concurrency import in_loop_thread
from pottle.views import MethodView, View, http_method_funcs


def test_http_method_funcs() -> None:
    assert http_method_funcs == {
        "get",
        "post",
        "head",
        "options",
        "delete",
        "put",
        "trace",
        "patch",
    }


# -- View ---------------------------------------------------------------------


class Greeting(View):
    """Says hello."""

    methods = ["GET", "POST"]

    def __init__(self, greeting: str, punctuation: str = ".") -> None:
        self.greeting = greeting
        self.punctuation = punctuation

    def dispatch_request(self, name: str) -> str:
        return f"{self.greeting} {name}{self.punctuation} ({request.method})"


class AsyncGreeting(Greeting):
    async def dispatch_request(self, name: str) -> str:  # type: ignore[override]
        await asyncio.sleep(0)
        return f"async {self.greeting} {name}{self.punctuation} {in_loop_thread()}"


@pytest.mark.parametrize(
    ("cls", "expected"),
    [(Greeting, "Hi ann! (POST)"), (AsyncGreeting, "async Hi ann! True")],
)
def test_view(
    app: pottle.Pottle, client: t.Any, cls: type[Greeting], expected: str
) -> None:
    app.add_url_rule("/<name>", view_func=cls.as_view("greet", "Hi", punctuation="!"))
    assert client.post("/ann").text == expected
    assert client.delete("/ann").status_code == 405


def test_as_view_describes_the_view() -> None:
    view = t.cast(t.Any, Greeting.as_view("greet", "Hi"))
    assert view.__name__ == "greet"
    assert view.__doc__ == "Says hello."
    assert view.__module__ == __name__
    assert view.view_class is Greeting
    assert view.methods == ["GET", "POST"]
    assert view.provide_automatic_options is None


def test_default_methods_and_options(app: pottle.Pottle, client: t.Any) -> None:
    class Plain(View):
        def dispatch_request(self) -> str:
            return "plain"

    class NoOptions(Plain):
        provide_automatic_options = False

    app.add_url_rule("/plain", view_func=Plain.as_view("plain"))
    app.add_url_rule("/no-options", view_func=NoOptions.as_view("no_options"))
    assert client.get("/plain").text == "plain"
    assert client.post("/plain").status_code == 405
    assert client.options("/plain").allow == {"GET", "HEAD", "OPTIONS"}
    assert client.options("/no-options").status_code == 405


def test_decorators_wrap_innermost_first(app: pottle.Pottle, client: t.Any) -> None:
    def tag(label: str) -> t.Callable[[t.Any], t.Any]:
        def decorator(view: t.Any) -> t.Any:
            @functools.wraps(view)
            def wrapped(**kwargs: t.Any) -> t.Any:
                # A sync decorator, as Flask extensions write them, around a
                # view that may be async.
                rv = current_app.ensure_sync(view)(**kwargs)
                return f"{label}({rv})"

            return wrapped

        return decorator

    class Decorated(View):
        decorators = [tag("inner"), tag("outer")]

        async def dispatch_request(self) -> str:
            return "view"

    view = Decorated.as_view("decorated")
    app.add_url_rule("/", view_func=view)
    assert client.get("/").text == "outer(inner(view))"
    assert t.cast(t.Any, view).view_class is Decorated


@pytest.mark.parametrize("every", [True, False])
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_init_every_request(
    app: pottle.Pottle, client: t.Any, every: bool, is_async: bool
) -> None:
    made: list[object] = []

    class Counter(View):
        init_every_request = every

        def __init__(self) -> None:
            made.append(self)
            self.count = 0

        def dispatch_request(self) -> str:
            self.count += 1
            return str(self.count)

    if is_async:
        sync_dispatch = Counter.dispatch_request

        async def dispatch_async(self: Counter) -> str:
            return sync_dispatch(self)

        Counter.dispatch_request = dispatch_async  # type: ignore[assignment,method-assign]

    app.add_url_rule("/", view_func=Counter.as_view("counter"))
    texts = [client.get("/").text for _ in range(3)]
    assert texts == (["1", "1", "1"] if every else ["1", "2", "3"])
    assert len(made) == (3 if every else 1)


def test_view_arguments_may_have_any_name(app: pottle.Pottle, client: t.Any) -> None:
    @app.route("/sync/<fn>/<self>/<context>")
    def sync_view(fn: str, self: str, context: str) -> str:
        return fn + self + context

    @app.route("/async/<fn>/<self>/<context>")
    async def async_view(fn: str, self: str, context: str) -> str:
        return fn + self + context

    assert client.get("/sync/a/b/c").text == "abc"
    assert client.get("/async/a/b/c").text == "abc"


# -- MethodView ---------------------------------------------------------------


class Items(MethodView):
    def get(self, id: int) -> dict[str, t.Any]:
        return {"id": id, "on_loop": in_loop_thread()}

    async def put(self, id: int) -> dict[str, t.Any]:
        data = await request.get_json()
        return {"id": id, "put": data, "on_loop": in_loop_thread()}

    def delete(self, id: int) -> tuple[str, int]:
        return "", 204


def test_method_view_dispatches_by_method(app: pottle.Pottle, client: t.Any) -> None:
    app.add_url_rule("/items/<int:id>", view_func=Items.as_view("items"))
    # Sync handlers run on the worker thread, async ones on the loop.
    assert client.get("/items/1").json == {"id": 1, "on_loop": False}
    assert client.put("/items/2", json={"x": 1}).json == {
        "id": 2,
        "put": {"x": 1},
        "on_loop": True,
    }
    assert client.delete("/items/3").status_code == 204
    rv = client.post("/items/4")
    assert rv.status_code == 405
    assert rv.allow == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


def test_head_falls_back_to_get(app: pottle.Pottle, client: t.Any) -> None:
    app.add_url_rule("/items/<int:id>", view_func=Items.as_view("items"))
    rv = client.head("/items/1")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.mimetype == "application/json"


def test_explicit_head_handler(app: pottle.Pottle, client: t.Any) -> None:
    class WithHead(MethodView):
        def get(self) -> str:
            return "get"

        async def head(self) -> tuple[str, int, dict[str, str]]:
            return "", 200, {"X-Head": "own"}

    app.add_url_rule("/", view_func=WithHead.as_view("with_head"))
    assert client.head("/").headers["X-Head"] == "own"


def test_methods_are_derived_and_inherited() -> None:
    class Base(MethodView):
        def get(self) -> str:
            return ""

    class Child(Base):
        async def post(self) -> str:
            return ""

    class Mixin:
        def patch(self) -> str:
            return ""

    class Mixed(Mixin, Child):
        pass

    class Explicit(Child):
        methods = ["GET"]

    assert Base.methods == {"GET"}
    assert Child.methods == {"GET", "POST"}
    assert Mixed.methods == {"GET", "POST", "PATCH"}
    assert Explicit.methods == ["GET"]
    assert MethodView.methods is None


def test_method_view_with_own_dispatch(app: pottle.Pottle, client: t.Any) -> None:
    class Audited(MethodView):
        async def dispatch_request(self, **kwargs: t.Any) -> t.Any:
            rv = await current_app.ensure_async(super().dispatch_request)(**kwargs)
            return f"audited {rv}"

        def get(self) -> str:
            return "get"

    app.add_url_rule("/", view_func=Audited.as_view("audited"))
    assert client.get("/").text == "audited get"


def test_sync_dispatch_that_leaves_a_coroutine_is_finished_in_the_view(
    app: pottle.Pottle, client: t.Any
) -> None:
    # Flask-RESTful's shape: a sync dispatch_request that calls the handler
    # without ensure_sync, and a sync wrapper that needs its value.
    class Resource(MethodView):
        def dispatch_request(self, **kwargs: t.Any) -> t.Any:
            return getattr(self, request.method.lower())(**kwargs)

    class Total(Resource):
        async def post(self) -> dict[str, t.Any]:
            # Read synchronously on the loop: the small body came first.
            return {"total": sum(request.get_json()), "on_loop": in_loop_thread()}

    def output(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(view)
        def wrapper(**kwargs: t.Any) -> t.Any:
            return pottle.jsonify(wrapped=view(**kwargs))

        return wrapper

    app.add_url_rule("/total", view_func=output(Total.as_view("total")))
    rv = client.post("/total", json=[1, 2, 3])
    assert rv.json == {"wrapped": {"total": 6, "on_loop": True}}
