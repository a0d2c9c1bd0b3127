from pottle import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from pottle.views import MethodView

from .auth import login_required

bp = Blueprint("blog", __name__)


def store():
    return current_app.extensions["threebp"]


def get_post(post_id):
    post = store().posts.get(post_id)
    if post is None:
        abort(404)
    return post


@bp.errorhandler(404)
def not_found(error):
    if request.path.startswith("/api/"):
        return {"error": "not found"}, 404
    return render_template("blog/missing.html"), 404


@bp.route("/")
def index():
    return render_template("blog/index.html", posts=store().latest_posts())


@bp.route("/<int:post_id>")
def post(post_id):
    return render_template("blog/post.html", post=get_post(post_id))


@bp.route("/create", methods=("GET", "POST"))
@login_required
def create():
    if request.method == "POST":
        title = request.form["title"].strip()
        if not title:
            flash("Title is required.", "error")
        else:
            store().add_post(g.user["id"], title, request.form["body"])
            flash("Post created.", "success")
            return redirect(url_for("blog.index"))
    return render_template("blog/create.html")


def api_login_required(view):
    def wrapped(*args, **kwargs):
        if g.user is None:
            return {"error": "log in first"}, 401
        return view(*args, **kwargs)

    return wrapped


class PostListAPI(MethodView):
    init_every_request = False

    def get(self):
        return {"posts": store().latest_posts()}

    @api_login_required
    def post(self):
        data = request.get_json()
        if not data or not data.get("title"):
            return {"error": "title is required"}, 400
        post = store().add_post(g.user["id"], data["title"], data.get("body", ""))
        url = url_for("blog.post_item", post_id=post["id"])
        return post, 201, {"Location": url}


class PostItemAPI(MethodView):
    init_every_request = False

    def get(self, post_id):
        return get_post(post_id)

    @api_login_required
    def patch(self, post_id):
        post = get_post(post_id)
        if post["author_id"] != g.user["id"]:
            abort(403)
        post.update(
            {k: v for k, v in request.get_json().items() if k in ("title", "body")}
        )
        return post

    @api_login_required
    def delete(self, post_id):
        post = get_post(post_id)
        if post["author_id"] != g.user["id"]:
            abort(403)
        del store().posts[post_id]
        return "", 204


bp.add_url_rule("/api/posts", view_func=PostListAPI.as_view("post_list"))
bp.add_url_rule("/api/posts/<int:post_id>", view_func=PostItemAPI.as_view("post_item"))
