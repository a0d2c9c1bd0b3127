"""Hello, pottle: Flask-style sync views and async views in one app.

Serve it with ``./dev serve`` (or ``pottle --app examples/hello/hello.py run``).
"""

import asyncio
import time

from pottle import Flask, jsonify, render_template, request, stream_with_context

app = Flask(__name__)


@app.route("/")
def index():
    # A sync view, exactly as in Flask: it runs on a worker thread.
    return render_template("index.html", name=request.args.get("name", "world"))


@app.route("/hello/<name>")
def hello(name):
    return jsonify(greeting=f"Hello, {name}!", served_at=time.strftime("%H:%M:%S"))


@app.route("/slow")
async def slow():
    # An async view: while it waits, the same process serves other requests.
    delay = min(request.args.get("seconds", 1.0, type=float), 5.0)
    await asyncio.sleep(delay)
    return {"slept": delay}


@app.route("/count")
def count():
    # A streamed response from a sync generator.
    def generate():
        for i in range(1, 6):
            yield f"{i}\n"
            time.sleep(0.2)

    return app.response_class(stream_with_context(generate()), mimetype="text/plain")


@app.route("/echo", methods=["POST"])
async def echo():
    form = await request.form
    return {"you said": form.get("text", "")}


if __name__ == "__main__":
    app.run(debug=True)
