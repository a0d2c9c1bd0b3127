"""Notes: a small Flask app (Flask-Login, Flask-WTF, Flask-SQLAlchemy)
running on pottle. Migrating it took one line, the first import below; see
README.md.

    pottle --app notes init-db
    pottle --app notes run --debug
"""

import os

import pottle_flask_alias  # noqa: F401  (first: the extensions import flask)
from flask import Flask


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        # Relative to the instance folder (Flask-SQLAlchemy's rule).
        SQLALCHEMY_DATABASE_URI="sqlite:///notes.sqlite",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    from . import auth, models, notes

    models.init_app(app)
    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(notes.bp)
    app.add_url_rule("/", endpoint="index")
    return app
