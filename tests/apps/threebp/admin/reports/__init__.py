"""Reports, nested in the admin blueprint, with their own templates and
static files."""

from pottle import Blueprint, current_app, render_template

bp = Blueprint("reports", __name__, static_folder="static", template_folder="templates")


@bp.route("/")
def summary():
    store = current_app.extensions["threebp"]
    return render_template(
        "reports/summary.html", users=len(store.users), posts=len(store.posts)
    )
