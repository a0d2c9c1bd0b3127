from pottle import Blueprint, current_app, render_template

bp = Blueprint("reports", __name__)


@bp.route("/")
def summary():
    store = current_app.extensions["threebp"]
    return render_template(
        "admin/reports.html", users=len(store.users), posts=len(store.posts)
    )
