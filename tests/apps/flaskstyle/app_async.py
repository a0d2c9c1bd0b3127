"""The async twin of app.py: the same routes as ``async def`` views and
hooks, body access awaited (Quart style)."""

import asyncio
import sqlite3

from pottle import Pottle, abort, g, jsonify, redirect, request, url_for


def create_app(database):
    app = Pottle(__name__)
    app.config["DATABASE"] = database

    @app.before_request
    async def open_db_and_load_user():
        g.db = sqlite3.connect(app.config["DATABASE"])
        g.user = request.headers.get("X-User")

    @app.teardown_appcontext
    async def close_db(exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.errorhandler(404)
    async def not_found(error):
        return jsonify(error="not found", path=request.path), 404

    @app.errorhandler(ValueError)
    async def bad_value(error):
        return jsonify(error=str(error)), 400

    @app.route("/")
    async def index():
        return redirect(url_for("list_items"))

    @app.route("/items")
    async def list_items():
        await asyncio.sleep(0)
        limit = request.args.get("limit", 10, type=int)
        rows = g.db.execute(
            "SELECT id, name FROM items ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return jsonify(items=[{"id": i, "name": n} for i, n in rows], user=g.user)

    @app.route("/items", methods=["POST"])
    async def create_item():
        if g.user is None:
            abort(403)
        data = await request.get_json()
        name = data.get("name", "")
        if not name:
            raise ValueError("name is required")
        cursor = g.db.execute("INSERT INTO items (name) VALUES (?)", (name,))
        g.db.commit()
        item_id = cursor.lastrowid
        return jsonify(id=item_id, url=url_for("get_item", item_id=item_id)), 201

    @app.route("/items/<int:item_id>")
    async def get_item(item_id):
        row = g.db.execute(
            "SELECT id, name FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            abort(404)
        return jsonify(id=row[0], name=row[1])

    return app
