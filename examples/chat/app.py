"""A chat server: rooms, each message broadcast to every socket in the room,
JSON messages, and a page that uses it.

Run it with ``pottle --app examples/chat/app.py run`` (or ``hypercorn
app:app`` from this folder) and open the page in two browser tabs.

Each connection has a bounded outbox, drained by its own sender task, so
one slow client never holds up a broadcast: when its outbox is full it is
disconnected (close code 1008) instead of making the server buffer without
bound.
"""

from __future__ import annotations

import asyncio
import typing as t

from pottle import Pottle, render_template, websocket

app = Pottle(__name__)
#: Messages a client may lag behind before it is disconnected.
app.config["CHAT_OUTBOX_SIZE"] = 100
#: The longest message text kept, in characters.
app.config["CHAT_MAX_TEXT"] = 1000

Message = dict[str, t.Any]


class Room:
    """The members of one room: their names, by outbox."""

    def __init__(self) -> None:
        self.members: dict[asyncio.Queue[Message | None], str] = {}

    def publish(self, message: Message) -> None:
        """Queue ``message`` for every member; a member whose outbox is full
        gets ``None`` instead, which tells its sender to hang up."""
        for outbox in list(self.members):
            try:
                outbox.put_nowait(message)
            except asyncio.QueueFull:
                del self.members[outbox]
                outbox.get_nowait()  # make room for the hang-up
                outbox.put_nowait(None)


#: The open rooms, by name; a room goes away with its last member.
rooms: dict[str, Room] = {}


@app.get("/")
def index() -> str:
    return render_template("index.html")


@app.websocket("/ws/<room_name>")
async def chat(room_name: str) -> None:
    name = websocket.args.get("name", "").strip()[:32] or "anonymous"
    outbox: asyncio.Queue[Message | None] = asyncio.Queue(
        app.config["CHAT_OUTBOX_SIZE"]
    )
    room = rooms.setdefault(room_name, Room())
    await websocket.accept()
    await websocket.send_json(
        {"type": "welcome", "room": room_name, "members": sorted(room.members.values())}
    )
    room.members[outbox] = name
    room.publish({"type": "join", "name": name})
    sender = asyncio.create_task(_send_from(outbox))
    try:
        while True:
            data = await websocket.receive_json()
            text = data.get("text") if isinstance(data, dict) else None
            if isinstance(text, str) and text.strip():
                text = text[: app.config["CHAT_MAX_TEXT"]]
                room.publish({"type": "message", "name": name, "text": text})
    finally:
        # Runs when the client leaves, whichever way: receive_json() raised
        # WebsocketDisconnect, or the handler was cancelled.
        sender.cancel()
        room.members.pop(outbox, None)
        room.publish({"type": "leave", "name": name})
        if not room.members and rooms.get(room_name) is room:
            del rooms[room_name]


async def _send_from(outbox: asyncio.Queue[Message | None]) -> None:
    while (message := await outbox.get()) is not None:
        await websocket.send_json(message)
    await websocket.close(1008, "Too slow")
