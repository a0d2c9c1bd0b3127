"""A three-blueprint app written exactly as one would for Flask: ``auth``
(sessions, flash), ``blog`` (templates extending a base layout, a
``MethodView`` JSON API) and ``admin`` (its own static folder and templates,
with a nested ``reports`` blueprint that has its own too). Only the
imports say pottle; its Flask-style tests run unchanged on real Flask too
(imports swapped).

``twin.py`` holds async twins of some views (Quart style) and is pottle's
alone.
"""

from pottle import Flask

from . import admin, auth, blog
from .store import Store


def create_app(test_config=None):
    app = Flask(__name__)
    app.config.from_mapping(SECRET_KEY="dev", ADMINS=[])
    if test_config is not None:
        app.config.update(test_config)
    app.extensions["threebp"] = Store()

    app.register_blueprint(auth.bp)
    app.register_blueprint(blog.bp)
    app.register_blueprint(admin.bp)
    app.add_url_rule("/", endpoint="index")
    return app
