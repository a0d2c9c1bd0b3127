"""The admin section: its own static files and templates, and a nested
``reports`` blueprint under it."""

from pottle import Blueprint, abort, current_app, g, render_template, request

from .reports import bp as reports

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    static_folder="static",
    template_folder="templates",
)
bp.register_blueprint(reports, url_prefix="/reports")

PUBLIC = {"admin.static", "admin.reports.static"}


@bp.before_request
def require_admin():
    # Runs for the nested reports blueprint too, and for the static routes,
    # which stay public.
    if not g.is_admin and request.endpoint not in PUBLIC:
        abort(403)


@bp.errorhandler(403)
def forbidden(error):
    return render_template("admin/forbidden.html"), 403


@bp.context_processor
def section():
    return {"section": "Admin"}


@bp.route("/")
def dashboard():
    users = current_app.extensions["threebp"].users.values()
    return render_template("admin/dashboard.html", users=users)
