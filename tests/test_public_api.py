"""The public surface: Flask 3.1's names at Flask's module paths, pottle's
additions, and the Flask aliases being the very same objects."""

from __future__ import annotations

import importlib
import types

import pytest

import pottle

#: Flask 3.1's public names per module (research/flask-api.md §1.1, §1.2).
FLASK_API = {
    "": [
        "Blueprint",
        "Config",
        "Flask",
        "Request",
        "Response",
        "abort",
        "after_this_request",
        "appcontext_popped",
        "appcontext_pushed",
        "appcontext_tearing_down",
        "before_render_template",
        "copy_current_request_context",
        "current_app",
        "flash",
        "g",
        "get_flashed_messages",
        "get_template_attribute",
        "got_request_exception",
        "has_app_context",
        "has_request_context",
        "json",
        "jsonify",
        "make_response",
        "message_flashed",
        "redirect",
        "render_template",
        "render_template_string",
        "request",
        "request_finished",
        "request_started",
        "request_tearing_down",
        "send_file",
        "send_from_directory",
        "session",
        "stream_template",
        "stream_template_string",
        "stream_with_context",
        "template_rendered",
        "url_for",
    ],
    ".globals": [
        "current_app",
        "g",
        "request",
        "session",
        "app_ctx",
        "request_ctx",
        "_cv_app",
        "_cv_request",
    ],
    ".ctx": [
        "AppContext",
        "RequestContext",
        "_AppCtxGlobals",
        "after_this_request",
        "copy_current_request_context",
        "has_app_context",
        "has_request_context",
    ],
    ".sessions": [
        "SessionInterface",
        "SecureCookieSessionInterface",
        "SecureCookieSession",
        "NullSession",
        "SessionMixin",
        "session_json_serializer",
    ],
    ".json": ["dumps", "dump", "loads", "load", "jsonify"],
    ".json.provider": ["JSONProvider", "DefaultJSONProvider"],
    ".json.tag": [
        "TaggedJSONSerializer",
        "JSONTag",
        "TagDict",
        "PassDict",
        "TagTuple",
        "PassList",
        "TagBytes",
        "TagMarkup",
        "TagUUID",
        "TagDateTime",
    ],
    ".signals": [
        "Namespace",
        "template_rendered",
        "before_render_template",
        "request_started",
        "request_finished",
        "request_tearing_down",
        "got_request_exception",
        "appcontext_tearing_down",
        "appcontext_pushed",
        "appcontext_popped",
        "message_flashed",
    ],
    ".testing": ["FlaskClient", "FlaskCliRunner", "EnvironBuilder"],
    ".views": ["View", "MethodView", "http_method_funcs"],
    ".helpers": [
        "abort",
        "flash",
        "get_flashed_messages",
        "get_template_attribute",
        "make_response",
        "redirect",
        "send_file",
        "send_from_directory",
        "stream_with_context",
        "url_for",
        "get_debug_flag",
        "get_load_dotenv",
        "get_root_path",
    ],
    ".templating": [
        "Environment",
        "DispatchingJinjaLoader",
        "render_template",
        "render_template_string",
        "stream_template",
        "stream_template_string",
    ],
    ".wrappers": ["Request", "Response"],
    ".typing": [
        "ResponseReturnValue",
        "ResponseValue",
        "HeaderValue",
        "HeadersValue",
        "ResponseClass",
        "AppOrBlueprintKey",
        "AfterRequestCallable",
        "BeforeFirstRequestCallable",
        "BeforeRequestCallable",
        "ShellContextProcessorCallable",
        "TeardownCallable",
        "TemplateContextProcessorCallable",
        "TemplateFilterCallable",
        "TemplateGlobalCallable",
        "TemplateTestCallable",
        "URLDefaultCallable",
        "URLValuePreprocessorCallable",
        "ErrorHandlerCallable",
        "RouteCallable",
    ],
    ".config": ["Config", "ConfigAttribute"],
    ".logging": [
        "default_handler",
        "wsgi_errors_stream",
        "has_level_handler",
        "create_logger",
    ],
    ".debughelpers": [
        "DebugFilesKeyError",
        "FormDataRoutingRedirect",
        "UnexpectedUnicodeError",
    ],
    ".blueprints": ["Blueprint", "BlueprintSetupState"],
    ".app": ["Flask"],
}

#: pottle's own top-level names (Quart's additions to Flask's API).
POTTLE_ADDITIONS = {
    "Pottle",
    "Websocket",
    "WebsocketDisconnect",
    "after_this_websocket",
    "copy_current_app_context",
    "copy_current_websocket_context",
    "got_background_exception",
    "got_serving_exception",
    "got_websocket_exception",
    "has_websocket_context",
    "websocket",
    "websocket_finished",
    "websocket_received",
    "websocket_sent",
    "websocket_started",
    "websocket_tearing_down",
}

#: Flask's class names are other names for pottle's classes.
ALIASES = [
    ("pottle", "Flask", "pottle", "Pottle"),
    ("pottle.app", "Flask", "pottle.app", "Pottle"),
    ("pottle.testing", "FlaskClient", "pottle.testing", "PottleClient"),
    ("pottle.testing", "FlaskCliRunner", "pottle.testing", "PottleCliRunner"),
]


@pytest.mark.parametrize(("module", "names"), sorted(FLASK_API.items()))
def test_flask_names_exist_at_flask_paths(module: str, names: list[str]) -> None:
    mod = importlib.import_module(f"pottle{module}")
    missing = [name for name in names if not hasattr(mod, name)]
    assert not missing, f"pottle{module} lacks {missing}"


@pytest.mark.parametrize(("mod_a", "name_a", "mod_b", "name_b"), ALIASES)
def test_flask_aliases_are_the_same_objects(
    mod_a: str, name_a: str, mod_b: str, name_b: str
) -> None:
    a = getattr(importlib.import_module(mod_a), name_a)
    b = getattr(importlib.import_module(mod_b), name_b)
    assert a is b


def test_top_level_exports_are_explicit() -> None:
    """``pottle/__init__.py`` re-exports only the public API; a new name
    must be added here on purpose."""
    public = {
        name
        for name, value in vars(pottle).items()
        if not name.startswith("_")
        and (not isinstance(value, types.ModuleType) or name == "json")
    }
    expected = set(FLASK_API[""]) | POTTLE_ADDITIONS
    assert public == expected
