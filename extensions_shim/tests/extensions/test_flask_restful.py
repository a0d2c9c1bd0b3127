"""Flask-RESTful: resources with sync and ``async def`` methods, reqparse
reading the body synchronously, and the error router.

``Api`` replaces ``app.handle_exception`` and ``app.handle_user_exception``
with ``partial(api.error_router, original)``; pottle runs that sync
replacement on the request's worker thread, where it may call the original
synchronously. ``Resource.dispatch_request`` calls the method without
``ensure_sync``; for an ``async def`` method pottle's ``as_view`` finishes the
returned coroutine on the loop (with the small body received, so reqparse
works in it) before ``Api.output`` turns it into a response.
"""

from __future__ import annotations

import io
import typing as t

import flask
import pytest
from flask_restful import Api, Resource, abort, fields, marshal_with, reqparse
from running import Threads, on_uvloop, run_on_uvloop
from werkzeug.exceptions import Forbidden

from conftest import make_view
from pottle.wrappers.request import BodyNotReceivedError


def make_resource(style: str, **handlers: t.Callable[..., t.Any]) -> type[Resource]:
    """A Resource whose methods (``get=...``) return ``body(**url_args)``,
    as plain methods or ``async def`` ones."""
    attrs: dict[str, t.Any] = {}
    for name, body in handlers.items():
        attrs[name] = _method(style, body)
    return type(f"{style.title()}Resource", (Resource,), attrs)


def _method(style: str, body: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    if style == "sync":

        def method(self: Resource, **kwargs: t.Any) -> t.Any:
            return body(**kwargs)

    else:

        async def method(self: Resource, **kwargs: t.Any) -> t.Any:
            return body(**kwargs)

    return method


def _app() -> flask.Flask:
    app = flask.Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_crud_with_reqparse(style: str) -> None:
    app = _app()
    api = Api(app)
    todos: dict[int, dict[str, t.Any]] = {1: {"task": "build an API", "done": False}}

    parser = reqparse.RequestParser()
    parser.add_argument("task", type=str, required=True, help="task: {error_msg}")
    parser.add_argument("done", type=bool, default=False)

    def find(todo_id: int) -> dict[str, t.Any]:
        if todo_id not in todos:
            abort(404, message=f"Todo {todo_id} doesn't exist")
        return todos[todo_id]

    def list_todos() -> dict[int, dict[str, t.Any]]:
        return todos

    def create() -> tuple[dict[str, t.Any], int, dict[str, str]]:
        args = parser.parse_args()
        todo_id = max(todos) + 1
        todos[todo_id] = {"task": args["task"], "done": args["done"]}
        return todos[todo_id], 201, {"Location": f"/todos/{todo_id}"}

    def get(todo_id: int) -> dict[str, t.Any]:
        return find(todo_id)

    def put(todo_id: int) -> dict[str, t.Any]:
        find(todo_id).update(parser.parse_args())
        return todos[todo_id]

    def delete(todo_id: int) -> tuple[str, int]:
        find(todo_id)
        del todos[todo_id]
        return "", 204

    api.add_resource(
        make_resource(style, get=list_todos, post=create), "/todos", endpoint="todos"
    )
    api.add_resource(
        make_resource(style, get=get, put=put, delete=delete),
        "/todos/<int:todo_id>",
        endpoint="todo",
    )
    client = app.test_client()

    created = client.post("/todos", json={"task": "profit"})
    assert created.status_code == 201
    assert created.json == {"task": "profit", "done": False}
    assert created.headers["Location"] == "/todos/2"
    # reqparse's default locations start with the JSON body: on Flask >= 2.3
    # a form post gets a 415 from request.json, on pottle as on Flask.
    form = client.post("/todos", data={"task": "from a form"})
    assert form.status_code == 415
    assert (
        client.post("/todos", json={"task": "again", "done": True}).status_code == 201
    )

    assert client.get("/todos/2").json == {"task": "profit", "done": False}
    updated = client.put("/todos/2", json={"task": "profit", "done": True})
    assert updated.json == {"task": "profit", "done": True}
    assert client.delete("/todos/1").status_code == 204
    assert sorted(client.get("/todos").json) == ["2", "3"]

    missing = client.get("/todos/1")
    assert (missing.status_code, missing.json) == (
        404,
        {"message": "Todo 1 doesn't exist"},
    )
    invalid = client.post("/todos", json={"done": True})
    assert invalid.status_code == 400
    assert invalid.json == {
        "message": {
            "task": "task: Missing required parameter in the JSON body"
            " or the post body or the query string"
        }
    }


def test_reqparse_locations(style: str) -> None:
    app = _app()
    api = Api(app)

    def echo() -> dict[str, t.Any]:
        parser = reqparse.RequestParser(bundle_errors=True)
        parser.add_argument("q", location="args")
        parser.add_argument("token", location="headers", dest="auth")
        parser.add_argument("session", location="cookies")
        parser.add_argument("size", type=int, location="form")
        parser.add_argument("tags", location="form", action="append")
        parser.add_argument(
            "upload", location="files", type=lambda f: f.read().decode()
        )
        return parser.parse_args()

    def json_echo() -> dict[str, t.Any]:
        parser = reqparse.RequestParser()
        parser.add_argument("items", type=list, location="json")
        parser.add_argument("count", type=int, location="json", required=True)
        return parser.parse_args()

    api.add_resource(make_resource(style, post=echo), "/echo", endpoint="echo")
    api.add_resource(make_resource(style, post=json_echo), "/json", endpoint="json")
    client = app.test_client()
    client.set_cookie("session", "s1")

    response = client.post(
        "/echo?q=find",
        headers={"Token": "t0k"},
        data={
            "size": "3",
            "tags": ["a", "b"],
            "upload": (io.BytesIO(b"file body"), "f.txt"),
        },
    )
    assert response.json == {
        "q": "find",
        "auth": "t0k",
        "session": "s1",
        "size": 3,
        "tags": ["a", "b"],
        "upload": "file body",
    }
    bundled = client.post("/echo", data={"size": "three", "tags": "x"})
    assert bundled.status_code == 400
    assert set(bundled.json["message"]) == {"size"}

    assert client.post("/json", json={"items": [1, 2], "count": "2"}).json == {
        "items": [1, 2],
        "count": 2,
    }
    assert client.post("/json", json={"count": "many"}).status_code == 400


def test_reqparse_in_plain_views(style: str) -> None:
    # reqparse outside flask_restful's Api: it reads request.form and
    # request.get_json() synchronously, also inside an async view.
    app = flask.Flask(__name__)

    def add() -> dict[str, int]:
        parser = reqparse.RequestParser()
        # request.json would answer 415 to a form post, so pick the location.
        location = "json" if flask.request.is_json else "form"
        parser.add_argument("a", type=int, required=True, location=location)
        parser.add_argument("b", type=int, required=True, location=location)
        args = parser.parse_args()
        return {"sum": args["a"] + args["b"]}

    app.add_url_rule("/add", view_func=make_view(style, add), methods=["POST"])
    client = app.test_client()
    assert client.post("/add", json={"a": 1, "b": 2}).json == {"sum": 3}
    assert client.post("/add", data={"a": "4", "b": "5"}).json == {"sum": 9}
    assert client.post("/add", data={"a": "4"}).status_code == 400


def test_large_body_read_synchronously_in_async_code_fails_clearly(style: str) -> None:
    app = flask.Flask(__name__)
    app.testing = True  # the error router would turn the error into a 500
    app.config["BODY_PREFETCH_SIZE"] = 1024
    api = Api(app)

    def size() -> dict[str, int]:
        parser = reqparse.RequestParser()
        parser.add_argument("blob", location="json")
        return {"size": len(parser.parse_args()["blob"])}

    api.add_resource(make_resource(style, post=size), "/size")
    client = app.test_client()
    big = {"blob": "x" * 4096}
    if style == "sync":
        assert client.post("/size", json=big).json == {"size": 4096}
    else:
        # Past the prefetch window, an async method must await the body first.
        with pytest.raises(BodyNotReceivedError, match="await"):
            client.post("/size", json=big)
    assert client.post("/size", json={"blob": "small"}).json == {"size": 5}


def test_errors_from_resources_are_json(style: str) -> None:
    app = _app()
    api = Api(app, catch_all_404s=True)
    exceptions: list[BaseException] = []
    flask.got_request_exception.connect(
        lambda sender, exception, **kw: exceptions.append(exception), app, weak=False
    )

    def forbidden() -> str:
        flask.abort(403)

    def crash() -> str:
        raise RuntimeError("bug")

    def with_data() -> str:
        abort(409, message="taken", field="name")

    api.add_resource(
        make_resource(style, get=forbidden), "/forbidden", endpoint="forbidden"
    )
    api.add_resource(make_resource(style, get=crash), "/crash", endpoint="crash")
    api.add_resource(
        make_resource(style, get=with_data, put=with_data),
        "/conflict",
        endpoint="conflict",
    )
    client = app.test_client()

    response = client.get("/forbidden")
    assert response.status_code == 403
    assert response.json == {"message": Forbidden.description}
    assert response.content_type == "application/json"

    response = client.get("/crash")
    assert (response.status_code, response.json) == (
        500,
        {"message": "Internal Server Error"},
    )
    assert [type(e) for e in exceptions][-1] is RuntimeError

    response = client.put("/conflict")
    assert (response.status_code, response.json) == (
        409,
        {"message": "taken", "field": "name"},
    )

    not_allowed = client.post("/conflict")
    assert not_allowed.status_code == 405
    assert not_allowed.content_type == "application/json"
    assert "not allowed" in not_allowed.json["message"]
    assert set(not_allowed.headers["Allow"].split(", ")) >= {"GET", "PUT"}

    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.content_type == "application/json"
    assert "not found" in missing.json["message"]


def test_non_api_routes_keep_flask_error_handling(style: str) -> None:
    app = _app()
    Api(app)  # catch_all_404s is off: unknown URLs are Flask's

    def crash() -> str:
        raise KeyError("x")

    def handle_key_error(error: KeyError) -> tuple[str, int]:
        return "flask handled it", 418

    app.add_url_rule("/plain", view_func=make_view(style, crash))
    app.register_error_handler(KeyError, handle_key_error)
    client = app.test_client()

    assert client.get("/plain").data == b"flask handled it"
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.content_type.startswith("text/html")


class GoneError(Exception):
    pass


def test_custom_errors(style: str) -> None:
    app = _app()
    seen: list[str] = []

    class MyApi(Api):
        def handle_error(self, e: Exception) -> flask.Response:
            seen.append(type(e).__name__)
            if isinstance(e, ValueError):
                return flask.jsonify(error=str(e)), 422  # type: ignore[return-value]
            return super().handle_error(e)

    api = MyApi(app, errors={"GoneError": {"message": "it is gone", "status": 410}})

    def gone() -> str:
        raise GoneError()

    def invalid() -> str:
        raise ValueError("bad value")

    api.add_resource(make_resource(style, get=gone), "/gone", endpoint="gone")
    api.add_resource(make_resource(style, get=invalid), "/invalid", endpoint="invalid")
    client = app.test_client()

    response = client.get("/gone")
    assert (response.status_code, response.json) == (
        410,
        {"message": "it is gone", "status": 410},
    )
    response = client.get("/invalid")
    assert (response.status_code, response.json) == (422, {"error": "bad value"})
    assert seen == ["GoneError", "ValueError"]


def test_api_on_a_blueprint(style: str) -> None:
    app = _app()
    blueprint = flask.Blueprint("api", __name__, url_prefix="/api")
    api = Api(blueprint, prefix="/v1")

    def item(item_id: int) -> dict[str, t.Any]:
        if item_id == 0:
            abort(404, message="no item 0")
        return {"id": item_id, "url": api.url_for(resource, item_id=item_id)}

    resource = make_resource(style, get=item)
    api.add_resource(resource, "/items/<int:item_id>", endpoint="item")
    app.register_blueprint(blueprint)
    # Added after registration: it goes through the patched setup state,
    # which knows the blueprint's prefix but not the Api's (as on Flask).
    api.add_resource(
        make_resource(style, get=lambda: {"late": True}), "/late", endpoint="late"
    )
    with pytest.raises(ValueError, match="only be registered once"):
        app.register_blueprint(blueprint, name="again")
    client = app.test_client()

    assert client.get("/api/v1/items/3").json == {"id": 3, "url": "/api/v1/items/3"}
    assert sorted(
        rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"
    ) == [
        "/api/late",
        "/api/v1/items/<int:item_id>",
    ]
    assert client.get("/api/late").json == {"late": True}
    missing = client.get("/api/v1/items/0")
    assert (missing.status_code, missing.json) == (404, {"message": "no item 0"})
    not_allowed = client.delete("/api/v1/items/3")
    assert not_allowed.status_code == 405
    assert not_allowed.content_type == "application/json"


def test_marshalling_and_representations(style: str) -> None:
    app = _app()
    api = Api(app)

    @api.representation("text/csv")
    def output_csv(
        data: dict[str, t.Any], code: int, headers: t.Any = None
    ) -> flask.Response:
        body = ",".join(f"{k}={v}" for k, v in sorted(data.items()))
        return flask.make_response(body, code, headers)

    user_fields = {
        "name": fields.String,
        "age": fields.Integer,
        "uri": fields.Url("user"),
    }

    @marshal_with(user_fields)
    def user(user_id: int) -> dict[str, t.Any]:
        return {"name": "ada", "age": "36", "password": "secret", "user_id": user_id}

    api.add_resource(
        make_resource(style, get=user), "/users/<int:user_id>", endpoint="user"
    )
    client = app.test_client()

    assert client.get("/users/7").json == {"name": "ada", "age": 36, "uri": "/users/7"}
    as_csv = client.get("/users/7", headers={"Accept": "text/csv"})
    assert as_csv.content_type == "text/csv"
    assert as_csv.data == b"age=36,name=ada,uri=/users/7"


def test_method_decorators(style: str) -> None:
    app = _app()
    api = Api(app)

    def authenticate(method: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            if flask.request.headers.get("X-Key") != "open sesame":
                abort(401, message="who are you?")
            return method(*args, **kwargs)

        return wrapper

    secret = make_resource(style, get=lambda: {"secret": 42})
    secret.method_decorators = [authenticate]
    api.add_resource(secret, "/secret")
    client = app.test_client()

    denied = client.get("/secret")
    assert (denied.status_code, denied.json) == (401, {"message": "who are you?"})
    assert client.get("/secret", headers={"X-Key": "open sesame"}).json == {
        "secret": 42
    }


def test_where_resource_code_runs(style: str) -> None:
    app = _app()
    threads = Threads(app)

    class MyApi(Api):
        def handle_error(self, e: Exception) -> flask.Response:
            threads.record("handle_error")
            return super().handle_error(e)

    api = MyApi(app)

    def get() -> dict[str, str]:
        threads.record("method")
        abort(400, message="nope")
        return {}

    api.add_resource(make_resource(style, get=get), "/r")
    response = app.test_client().get("/r")
    assert (response.status_code, response.json) == (400, {"message": "nope"})
    # The error router is sync: it runs off the loop, whatever the method.
    threads.off_loop("handle_error")
    ran_on_loop = bool(threads.seen["method"] & threads.loop)
    assert ran_on_loop == (style == "async")


def test_on_uvloop() -> None:
    app = _app()
    api = Api(app, catch_all_404s=True)

    class Loop(Resource):
        async def get(self) -> dict[str, bool]:
            return {"uvloop": on_uvloop()}

        async def post(self) -> dict[str, t.Any]:
            parser = reqparse.RequestParser()
            parser.add_argument("n", type=int, location="json")
            return {"n": parser.parse_args()["n"]}

    class Sync(Resource):
        def get(self) -> dict[str, str]:
            abort(418, message="teapot")
            return {}

    api.add_resource(Loop, "/loop")
    api.add_resource(Sync, "/sync")

    async def main() -> list[tuple[int, t.Any]]:
        client = app.test_client()
        responses = [
            await client.get("/loop"),
            await client.post("/loop", json={"n": 5}),
            await client.get("/sync"),
            await client.get("/missing"),
        ]
        return [(r.status_code, r.json) for r in responses]

    results = run_on_uvloop(main)
    assert results[:3] == [
        (200, {"uvloop": True}),
        (200, {"n": 5}),
        (418, {"message": "teapot"}),
    ]
    assert results[3][0] == 404
