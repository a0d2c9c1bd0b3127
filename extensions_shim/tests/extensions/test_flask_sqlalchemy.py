"""Flask-SQLAlchemy on a real SQLite file: models, pagination, the 404
helpers, its signals and recorded queries, the shell context, and the
session's scope, which is the app context (``flask.globals.app_ctx``).

The hard part is threads. Flask-SQLAlchemy removes the session in a
``teardown_appcontext`` function; the connection it holds must be given
back on the thread that used it. The tests record the pool's checkout and
checkin threads, and run SQLite with ``check_same_thread=True`` so that the
driver itself would object.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import typing as t
from types import SimpleNamespace

import flask
import pytest
import sqlalchemy as sa
from flask.cli import shell_command
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.record_queries import get_recorded_queries
from flask_sqlalchemy.track_modifications import models_committed
from served import Served, serve

from conftest import make_view

db = SQLAlchemy()


class Item(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50), nullable=False)


def build(tmp_path: t.Any, **config: t.Any) -> SimpleNamespace:
    """An app with its own SQLite file database (the extension and the
    model are shared, as in an app factory)."""
    app = flask.Flask(__name__)
    app.config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.db'}",
        **config,
    )
    db.init_app(app)
    with app.app_context():
        db.create_all()
    return SimpleNamespace(app=app, path=tmp_path / "app.db")


def add_items(env: SimpleNamespace, count: int) -> None:
    with env.app.app_context():
        db.session.add_all(Item(name=f"item {i}") for i in range(count))
        db.session.commit()


def record_pool_threads(env: SimpleNamespace) -> dict[str, list[int]]:
    """Which threads take connections from the pool and give them back."""
    seen: dict[str, list[int]] = {"checkout": [], "checkin": []}
    with env.app.app_context():
        engine = db.engine
    for event in seen:
        sa.event.listen(
            engine, event, lambda *a, _e=event: seen[_e].append(threading.get_ident())
        )
    return seen


# -- models, pagination, 404 ------------------------------------------------------


def test_create_list_update_delete(tmp_path: t.Any, style: str) -> None:
    env = build(tmp_path)

    def create() -> tuple[dict[str, t.Any], int]:
        item = Item(name=flask.request.form["name"])
        db.session.add(item)
        db.session.commit()
        return {"id": item.id}, 201

    def listing() -> list[str]:
        return [i.name for i in db.session.scalars(db.select(Item).order_by(Item.id))]

    def rename(item_id: int) -> str:
        item = db.get_or_404(Item, item_id)
        item.name = flask.request.form["name"]
        db.session.commit()
        return item.name  # type: ignore[no-any-return]

    def remove(item_id: int) -> tuple[str, int]:
        db.session.delete(db.get_or_404(Item, item_id))
        db.session.commit()
        return "", 204

    app = env.app
    app.add_url_rule("/items", view_func=make_view(style, create), methods=["POST"])
    app.add_url_rule("/items", view_func=make_view(style, listing))
    app.add_url_rule(
        "/items/<int:item_id>", view_func=make_view(style, rename), methods=["PUT"]
    )
    app.add_url_rule(
        "/items/<int:item_id>", view_func=make_view(style, remove), methods=["DELETE"]
    )
    client = app.test_client()
    ids = [client.post("/items", data={"name": n}).json["id"] for n in "abc"]
    assert client.put(f"/items/{ids[1]}", data={"name": "B"}).data == b"B"
    assert client.delete(f"/items/{ids[0]}").status_code == 204
    assert client.get("/items").json == ["B", "c"]
    # On disk, as another process would see it.
    with sqlite3.connect(env.path) as conn:
        assert conn.execute("select name from item order by id").fetchall() == [
            ("B",),
            ("c",),
        ]


def test_get_or_404_goes_through_error_handlers(tmp_path: t.Any, style: str) -> None:
    env = build(tmp_path)
    add_items(env, 1)

    @env.app.errorhandler(404)
    def not_found(e: Exception) -> tuple[dict[str, str], int]:
        return {"error": str(getattr(e, "description", ""))}, 404

    def show(item_id: int) -> str:
        return db.get_or_404(Item, item_id, description="no such item").name  # type: ignore[no-any-return]

    def first(name: str) -> str:
        return db.first_or_404(db.select(Item).filter_by(name=name)).name  # type: ignore[no-any-return]

    def legacy(item_id: int) -> str:
        return Item.query.filter_by(id=item_id).first_or_404().name  # type: ignore[no-any-return]

    for view, rule in ((show, "/show/<int:item_id>"), (first, "/first/<name>")):
        env.app.add_url_rule(rule, view_func=make_view(style, view))
    env.app.add_url_rule("/legacy/<int:item_id>", view_func=make_view(style, legacy))
    client = env.app.test_client()
    assert client.get("/show/1").data == b"item 0"
    response = client.get("/show/2")
    assert (response.status_code, response.json) == (404, {"error": "no such item"})
    assert client.get("/first/item 0").data == b"item 0"
    assert client.get("/first/nope").status_code == 404
    assert client.get("/legacy/1").data == b"item 0"
    assert client.get("/legacy/9").json["error"].startswith("The requested URL")


def test_paginate_reads_the_request(tmp_path: t.Any, style: str) -> None:
    env = build(tmp_path)
    add_items(env, 25)

    def page() -> dict[str, t.Any]:
        # page and per_page come from request.args, as in Flask.
        p = db.paginate(db.select(Item).order_by(Item.id), max_per_page=20)
        return {
            "items": [i.name for i in p.items],
            "page": p.page,
            "pages": p.pages,
            "has_next": p.has_next,
            "iter_pages": list(p.iter_pages()),
        }

    env.app.add_url_rule("/page", view_func=make_view(style, page))
    client = env.app.test_client()
    first = client.get("/page?per_page=10").json
    assert first["items"] == [f"item {i}" for i in range(10)]
    assert (first["pages"], first["has_next"], first["iter_pages"]) == (
        3,
        True,
        [1, 2, 3],
    )
    last = client.get("/page?per_page=10&page=3").json
    assert (last["items"], last["has_next"]) == (
        [f"item {i}" for i in range(20, 25)],
        False,
    )
    assert client.get("/page?per_page=10&page=4").status_code == 404
    assert client.get("/page?page=oops").status_code == 404
    assert len(client.get("/page?per_page=500").json["items"]) == 20


# -- threads ----------------------------------------------------------------------


def strict_sqlite(tmp_path: t.Any) -> SimpleNamespace:
    """Every request opens its own sqlite3 connection (no pool) with the
    driver's thread check on: closing it on another thread would fail."""
    return build(
        tmp_path,
        SQLALCHEMY_ENGINE_OPTIONS={
            "poolclass": sa.pool.NullPool,
            "connect_args": {"check_same_thread": True},
        },
    )


@pytest.mark.parametrize("served", [False, True], ids=["test_client", "served"])
def test_sync_view_session_removed_on_its_thread(
    tmp_path: t.Any, served: bool, caplog: pytest.LogCaptureFixture
) -> None:
    env = strict_sqlite(tmp_path)
    add_items(env, 3)
    pool = record_pool_threads(env)
    views: list[int] = []
    teardowns: list[int] = []

    @env.app.route("/count")
    def count() -> str:
        views.append(threading.get_ident())
        return str(db.session.query(Item).count())

    # Registered after Flask-SQLAlchemy's, so it runs after session.remove().
    @env.app.teardown_appcontext
    def after_remove(exc: BaseException | None) -> None:
        teardowns.append(threading.get_ident())

    if served:

        async def requests() -> list[bytes]:
            return [(await serve(env.app, "/count")).data for _ in range(3)]

        bodies = asyncio.run(requests())
    else:
        client = env.app.test_client()
        bodies = [client.get("/count").data for _ in range(3)]

    assert bodies == [b"3"] * 3
    assert len(pool["checkout"]) == len(pool["checkin"]) == len(views) == 3
    assert pool["checkout"] == pool["checkin"] == views == teardowns[-3:]
    if served:
        assert threading.get_ident() not in views  # pool workers
    else:
        assert set(views) == {threading.get_ident()}  # like Flask's client
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_async_view_session_runs_on_the_loop(tmp_path: t.Any) -> None:
    """``db.session`` used directly in an ``async def`` view blocks the loop
    for the query, and the connection is given back by the teardown on a
    worker thread. SQLAlchemy's defaults allow that (file databases pool
    with ``check_same_thread=False``); the thread is recorded to document
    it."""
    env = build(tmp_path)
    add_items(env, 2)
    pool = record_pool_threads(env)
    where: dict[str, int] = {}

    @env.app.route("/count")
    async def count() -> str:
        where["view"] = threading.get_ident()
        return str(db.session.query(Item).count())

    @env.app.teardown_appcontext
    def after_remove(exc: BaseException | None) -> None:
        where["teardown"] = threading.get_ident()

    async def request() -> bytes:
        where["loop"] = threading.get_ident()
        return (await serve(env.app, "/count")).data

    assert asyncio.run(request()) == b"2"
    assert pool["checkout"] == [where["view"]] == [where["loop"]]
    assert pool["checkin"] == [where["teardown"]] != [where["loop"]]


def test_async_view_with_a_thread_checking_driver_fails_loudly(
    tmp_path: t.Any,
) -> None:
    """With ``check_same_thread=True`` forced on, the same async view cannot
    work: the teardown gives the connection back on a worker thread and
    sqlite3 refuses. The error is sqlite's own, and it is raised, not
    swallowed."""
    env = strict_sqlite(tmp_path)

    @env.app.route("/count")
    async def count() -> str:
        return str(db.session.query(Item).count())

    with pytest.raises(sa.exc.ProgrammingError, match="same thread"):
        asyncio.run(serve(env.app, "/count"))
    # Left open, as after any failed teardown: close it where it was made.
    for session in db.session.registry.registry.values():
        session.close()


def test_async_view_offloads_queries_to_the_request_thread(tmp_path: t.Any) -> None:
    """The pattern docs/extensions.md recommends: ``await
    current_app.ensure_async(fn)()`` runs the query on the request's worker
    thread, the one that also runs the teardown, so even a driver that
    checks threads is satisfied and the loop never blocks."""
    env = strict_sqlite(tmp_path)
    add_items(env, 4)
    pool = record_pool_threads(env)
    where: dict[str, int] = {}

    def count_items() -> int:
        where["query"] = threading.get_ident()
        return db.session.query(Item).count()  # type: ignore[no-any-return]

    @env.app.route("/count")
    async def count() -> str:
        where["view"] = threading.get_ident()
        return str(await flask.current_app.ensure_async(count_items)())

    async def request() -> bytes:
        return (await serve(env.app, "/count")).data

    assert asyncio.run(request()) == b"4"
    assert where["query"] != where["view"]
    assert pool["checkout"] == pool["checkin"] == [where["query"]]


def test_concurrent_async_requests_have_their_own_sessions(tmp_path: t.Any) -> None:
    """The session is scoped to the app context, not to a thread: two async
    requests interleaved on one loop thread get two sessions."""
    env = build(tmp_path)
    both_started = asyncio.Event()
    started: list[int] = []

    @env.app.route("/session")
    async def session_id() -> str:
        started.append(id(db.session()))
        if len(started) == 2:
            both_started.set()
        await both_started.wait()
        return str(id(db.session()))

    async def requests() -> list[Served]:
        return await asyncio.gather(
            serve(env.app, "/session"), serve(env.app, "/session")
        )

    first, second = asyncio.run(requests())
    assert first.data != second.data
    assert sorted(int(r.data) for r in (first, second)) == sorted(started)


# -- signals, recorded queries, shell ---------------------------------------------


def test_models_committed_and_recorded_queries(tmp_path: t.Any, style: str) -> None:
    env = build(
        tmp_path, SQLALCHEMY_RECORD_QUERIES=True, SQLALCHEMY_TRACK_MODIFICATIONS=True
    )
    committed: list[tuple[str, str]] = []

    def on_commit(sender: t.Any, changes: list[tuple[t.Any, str]]) -> None:
        assert sender is env.app
        committed.extend((type(m).__name__, op) for m, op in changes)

    def create() -> dict[str, t.Any]:
        db.session.add(Item(name=flask.request.args["name"]))
        db.session.commit()
        db.session.scalars(db.select(Item)).all()
        return {"queries": [q.statement.split()[0] for q in get_recorded_queries()]}

    env.app.add_url_rule("/create", view_func=make_view(style, create))
    with models_committed.connected_to(on_commit):
        response = env.app.test_client().get("/create?name=x")
    assert committed == [("Item", "insert")]
    assert response.json["queries"] == ["INSERT", "SELECT"]


def test_shell_context_has_db_and_models(tmp_path: t.Any) -> None:
    env = build(tmp_path)
    with env.app.app_context():
        namespace = env.app.make_shell_context()
    assert namespace["db"] is db
    assert namespace["Item"] is Item
    assert namespace["app"] is env.app

    # What `pottle shell` (`flask shell`) starts with.
    result = env.app.test_cli_runner().invoke(
        shell_command, input="print(db.session.query(Item).count(), Item.__name__)\n"
    )
    assert result.exit_code == 0, result.output
    assert "0 Item" in result.output
