"""Flask-Babel: ``gettext``/``ngettext``/``lazy_gettext`` with a locale
selector that reads the request, dates in the selected timezone, the
Jinja i18n extension in templates rendered with ``render_template`` and
``await render_template``, and the per-request cache Flask-Babel keeps in
``g`` (``if not g`` decides whether there is a context at all).

The catalogs are compiled from messages at test time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import flask
import pytest
from babel import Locale
from babel import dates as babel_dates
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import (
    Babel,
    force_locale,
    format_datetime,
    get_locale,
    gettext,
    lazy_gettext,
    ngettext,
    refresh,
)

from conftest import make_view

MESSAGES = {
    "de": {
        "Hello": "Hallo",
        "Save": "Speichern",
        ("%(num)d note", "%(num)d notes"): (
            "%(num)d Notiz",
            "%(num)d Notizen",
        ),
    },
    "fr": {
        "Hello": "Bonjour",
        "Save": "Enregistrer",
        ("%(num)d note", "%(num)d notes"): (
            "%(num)d note",
            "%(num)d notes",
        ),
    },
}

#: Translated when used, in the locale of the request using it.
SAVE = lazy_gettext("Save")

WHEN = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("translations")
    for language, messages in MESSAGES.items():
        catalog = Catalog(locale=language)
        for source, translated in messages.items():
            catalog.add(source, translated)
        target = root / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        with open(target / "messages.mo", "wb") as f:
            write_mo(f, catalog)
    return root


def build(translations: Path) -> tuple[flask.Flask, list[str]]:
    """An app whose locale comes from ``?lang=`` or ``Accept-Language`` and
    whose timezone from ``?tz=``; returns it and a log of selector calls."""
    app = flask.Flask(__name__)
    calls: list[str] = []

    def select_locale() -> str | None:
        calls.append("locale")
        return flask.request.args.get(
            "lang"
        ) or flask.request.accept_languages.best_match(["en", "de", "fr"])

    def select_timezone() -> str | None:
        return flask.request.args.get("tz")

    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(translations),
    )
    return app, calls


def test_gettext_and_lazy_gettext(translations: Path, style: str) -> None:
    app, _ = build(translations)

    def greet() -> dict[str, str]:
        return {
            "hello": gettext("Hello"),
            "save": str(SAVE),
            "notes": ngettext("%(num)d note", "%(num)d notes", 3),
            "locale": str(get_locale()),
        }

    app.add_url_rule("/greet", view_func=make_view(style, greet))
    client = app.test_client()
    assert client.get("/greet?lang=de").json == {
        "hello": "Hallo",
        "save": "Speichern",
        "notes": "3 Notizen",
        "locale": "de",
    }
    french = client.get("/greet", headers={"Accept-Language": "fr-CH, fr;q=0.9"})
    assert french.json["hello"] == "Bonjour"
    assert french.json["save"] == "Enregistrer"
    # No selection: the default locale, and the messages as written.
    assert client.get("/greet").json == {
        "hello": "Hello",
        "save": "Save",
        "notes": "3 notes",
        "locale": "en",
    }


def test_format_datetime_in_the_selected_locale_and_timezone(
    translations: Path, style: str
) -> None:
    app, _ = build(translations)

    def when() -> str:
        return format_datetime(WHEN, "full")

    app.add_url_rule("/when", view_func=make_view(style, when))
    client = app.test_client()
    berlin = client.get("/when?lang=de&tz=Europe/Berlin").get_data(as_text=True)
    assert berlin == babel_dates.format_datetime(
        WHEN, "full", tzinfo=babel_dates.get_timezone("Europe/Berlin"), locale="de"
    )
    assert "13:30:00" in berlin  # noon UTC, one hour ahead in March
    utc_en = client.get("/when").get_data(as_text=True)
    assert utc_en == babel_dates.format_datetime(
        WHEN, "full", tzinfo=babel_dates.get_timezone("UTC"), locale="en"
    )


TEMPLATE = """\
{% trans %}Hello{% endtrans %}|{{ _('Save') }}|\
{{ ngettext('%(num)d note', '%(num)d notes', count) }}|\
{{ when|datetimeformat('short') }}"""


@pytest.mark.parametrize("awaited", [False, True], ids=["render", "await render"])
def test_jinja_i18n_extension(translations: Path, awaited: bool) -> None:
    app, _ = build(translations)

    @app.route("/page")
    async def page() -> str:
        if awaited:
            return await flask.render_template_string(TEMPLATE, count=2, when=WHEN)
        return flask.render_template_string(TEMPLATE, count=2, when=WHEN)

    @app.route("/sync-page")
    def sync_page() -> str:
        return flask.render_template_string(TEMPLATE, count=2, when=WHEN)

    client = app.test_client()
    short_de = babel_dates.format_datetime(
        WHEN, "short", tzinfo=babel_dates.get_timezone("UTC"), locale="de"
    )
    expected = f"Hallo|Speichern|2 Notizen|{short_de}"
    assert client.get("/page?lang=de").get_data(as_text=True) == expected
    assert client.get("/sync-page?lang=de").get_data(as_text=True) == expected
    assert (
        client.get("/page?lang=fr")
        .get_data(as_text=True)
        .startswith("Bonjour|Enregistrer|2 notes|")
    )


def test_selection_is_cached_in_g_per_request(translations: Path, style: str) -> None:
    app, calls = build(translations)

    def many() -> str:
        words = [gettext("Hello"), gettext("Save"), str(SAVE)]
        if "switch" in flask.request.args:
            refresh()  # forget this request's selection (and call again)
            words.append(gettext("Hello"))
        return " ".join(words)

    app.add_url_rule("/many", view_func=make_view(style, many))
    client = app.test_client()
    assert client.get("/many?lang=de").data == b"Hallo Speichern Speichern"
    assert calls == ["locale"]
    assert client.get("/many?lang=fr").data == b"Bonjour Enregistrer Enregistrer"
    assert calls == ["locale"] * 2
    client.get("/many?lang=de&switch=1")
    assert calls == ["locale"] * 4


def test_outside_requests(translations: Path) -> None:
    app, calls = build(translations)
    # No app context: ``g`` is falsy, so no selection and no translation.
    assert gettext("Hello") == "Hello"
    assert get_locale() is None
    # A CLI command or a background job: an app context, a forced locale.
    with app.app_context(), force_locale("de"):
        assert gettext("Hello") == "Hallo"
        assert get_locale() == Locale("de")
    assert calls == []


def test_lazy_strings_render_in_templates(translations: Path, style: str) -> None:
    """A lazy string made at import time (a form label) is translated when
    it is rendered."""
    app, _ = build(translations)

    def label() -> str:
        return flask.render_template_string("<label>{{ label }}</label>", label=SAVE)

    app.add_url_rule("/label", view_func=make_view(style, label))
    assert app.test_client().get("/label?lang=fr").data == b"<label>Enregistrer</label>"
