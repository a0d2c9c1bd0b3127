"""Flask's examples/celery on pottle, unmodified, in Celery's eager mode (no
broker, no worker): the example's own blueprint submits add(2, 3) and reads
the result back. Configured the way the example documents, through
FLASK_CELERY__* environment variables read by ``config.from_prefixed_env``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(os.environ["FLASK_CELERY_EXAMPLE"])

EAGER = {
    "broker_url": "memory://",
    "result_backend": "cache+memory://",
    "task_always_eager": "true",
    "task_store_eager_result": "true",
}


@pytest.fixture(scope="module")
def flask_app() -> Iterator[Any]:
    # Built once: Celery keeps @shared_task registrations process-wide, so
    # importing the example a second time would register its tasks twice.
    with pytest.MonkeyPatch.context() as mp:
        for key, value in EAGER.items():
            mp.setenv(f"FLASK_CELERY__{key}", value)
        mp.syspath_prepend(str(EXAMPLE / "src"))
        mp.syspath_prepend(str(EXAMPLE))
        # make_celery is the module a worker loads; it builds the app.
        import make_celery  # type: ignore[import-not-found]

        yield make_celery.flask_app


def test_config_comes_from_prefixed_env(flask_app: Any) -> None:
    celery = flask_app.extensions["celery"]
    assert celery.conf.broker_url == "memory://"
    assert celery.conf.task_always_eager is True


def test_index_page_renders(flask_app: Any) -> None:
    response = flask_app.test_client().get("/")
    assert response.status_code == 200
    assert b"Celery Example" in response.data


def test_add_task_result(flask_app: Any) -> None:
    client = flask_app.test_client()
    submitted = client.post("/tasks/add", data={"a": 2, "b": 3})
    assert submitted.status_code == 200
    result_id = submitted.json["result_id"]

    result = client.get(f"/tasks/result/{result_id}")
    assert result.status_code == 200
    assert result.json == {"ready": True, "successful": True, "value": 5}
