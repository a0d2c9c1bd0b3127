"""What every benchmark app shares: payloads, template data, the secret key.

Each app answers the same endpoints with the same bytes, so that the only
difference between two rows of the table is the framework:

    GET  /hello            text "Hello, World!"
    GET  /json             {"message": "Hello, World!"}
    GET  /users/<int:id>   text "user <id>"
    GET  /template         the 10-row table in templates/table.html
    POST /form             urlencoded form; answers the "name" field
    GET  /session          reads session["count"], writes it back + 1
    WS   /ws               echoes every text message
"""

from __future__ import annotations

from pathlib import Path

HELLO = "Hello, World!"
JSON_BODY = {"message": HELLO}
TEMPLATE_DIR = str(Path(__file__).parent / "templates")
TEMPLATE = "table.html"
TITLE = "Scores & <friends>"
SECRET_KEY = "bench-secret-key-not-secret"


def _row(i: int) -> dict[str, object]:
    return {
        "id": i,
        "name": f"User <{i}>",
        "email": f"user{i}@example.com",
        "score": i * 7.5,
    }


ROWS = [_row(i) for i in range(1, 11)]
