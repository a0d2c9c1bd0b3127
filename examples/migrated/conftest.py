"""The example needs the Flask extensions it uses, and the alias: its tests
run in ``./dev extensions`` (which has both); pottle's own test run, which
has neither, skips them."""

import importlib.util

if importlib.util.find_spec("flask_login") is None:
    collect_ignore_glob = ["tests"]
