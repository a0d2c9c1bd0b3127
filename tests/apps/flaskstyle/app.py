"""A small app written exactly as one would for Flask: sync views, hooks,
error handlers, sqlite. Only the imports say pottle; the acceptance tests
run it unchanged on real Flask too (with the imports swapped)."""

import sqlite3

from pottle import Flask, abort, g, jsonify, redirect, request, url_for

SCHEMA = """
CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
INSERT INTO items (name) VALUES ('teapot'), ('kettle');
"""


def init_db(path):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.close()


def create_app(database):
    app = Flask(__name__)
    app.config["DATABASE"] = database

    @app.before_request
    def open_db_and_load_user():
        # sqlite3 refuses to be used or closed from another thread: this
        # connection works only if the hook, the view and the teardown share
        # one thread.
        g.db = sqlite3.connect(app.config["DATABASE"])
        g.user = request.headers.get("X-User")

    @app.teardown_appcontext
    def close_db(exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.errorhandler(404)
    def not_found(error):
        return jsonify(error="not found", path=request.path), 404

    @app.errorhandler(ValueError)
    def bad_value(error):
        return jsonify(error=str(error)), 400

    @app.route("/")
    def index():
        return redirect(url_for("list_items"))

    @app.route("/items")
    def list_items():
        limit = request.args.get("limit", 10, type=int)
        rows = g.db.execute(
            "SELECT id, name FROM items ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return jsonify(items=[{"id": i, "name": n} for i, n in rows], user=g.user)

    @app.route("/items", methods=["POST"])
    def create_item():
        if g.user is None:
            abort(403)
        data = request.get_json()
        name = data.get("name", "")
        if not name:
            raise ValueError("name is required")
        cursor = g.db.execute("INSERT INTO items (name) VALUES (?)", (name,))
        g.db.commit()
        item_id = cursor.lastrowid
        return jsonify(id=item_id, url=url_for("get_item", item_id=item_id)), 201

    @app.route("/items/<int:item_id>")
    def get_item(item_id):
        row = g.db.execute(
            "SELECT id, name FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            abort(404)
        return jsonify(id=row[0], name=row[1])

    return app
