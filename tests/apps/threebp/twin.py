"""Async twins of some views, written Quart style: the same templates
rendered with ``await render_template``, ``await request.form``,
``await flash``. pottle only (Flask cannot await these)."""

from pottle import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    stream_template,
    url_for,
)

bp = Blueprint("twin", __name__, url_prefix="/async")


def store():
    return current_app.extensions["threebp"]


@bp.route("/")
async def index():
    return await render_template("blog/index.html", posts=store().latest_posts())


@bp.route("/stream")
async def stream():
    return await stream_template("blog/index.html", posts=store().latest_posts())


@bp.route("/<int:post_id>")
async def post(post_id):
    post = store().posts.get(post_id)
    if post is None:
        return await render_template("blog/missing.html"), 404
    return await render_template("blog/post.html", post=post)


@bp.route("/admin/")
async def dashboard():
    if not g.is_admin:
        abort(403)
    users = store().users.values()
    return await render_template("admin/dashboard.html", users=users)


@bp.route("/login", methods=("GET", "POST"))
async def login():
    if request.method == "POST":
        form = await request.form
        user = store().check_login(form["username"], form["password"])
        if user is None:
            await flash("Incorrect username or password.", "error")
        else:
            session.clear()
            session["user_id"] = user["id"]
            await flash(f"Welcome, {user['username']}!", "success")
            return redirect(url_for("index"))
    return await render_template("auth/login.html")
