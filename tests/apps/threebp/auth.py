import functools

from pottle import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")


def store():
    return current_app.extensions["threebp"]


def login_required(view):
    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login"))
        return view(**kwargs)

    return wrapped_view


@bp.before_app_request
def load_logged_in_user():
    user_id = session.get("user_id")
    g.user = store().users.get(user_id) if user_id is not None else None
    g.is_admin = g.user is not None and (
        g.user["username"] in current_app.config["ADMINS"]
    )


def check_form():
    username = request.form["username"].strip()
    password = request.form["password"]
    if not username:
        return username, password, "Username is required."
    if not password:
        return username, password, "Password is required."
    return username, password, None


@bp.route("/register", methods=("GET", "POST"))
def register():
    if request.method == "POST":
        username, password, error = check_form()
        if error is None and store().find_user(username) is not None:
            error = f"User {username} is already registered."
        if error is None:
            store().add_user(username, password)
            flash("Registered, please log in.", "success")
            return redirect(url_for("auth.login"))
        flash(error, "error")
    return render_template("auth/register.html")


@bp.route("/login", methods=("GET", "POST"))
def login():
    if request.method == "POST":
        username, password, error = check_form()
        user = None
        if error is None:
            user = store().check_login(username, password)
            if user is None:
                error = "Incorrect username or password."
        if error is None:
            session.clear()
            session["user_id"] = user["id"]
            session.permanent = "remember" in request.form
            flash(f"Welcome, {user['username']}!", "success")
            return redirect(url_for("index"))
        flash(error, "error")
    return render_template("auth/login.html")


@bp.route("/logout")
def logout():
    session.clear()
    flash("Logged out.")
    return redirect(url_for("index"))
