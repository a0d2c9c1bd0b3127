"""Notes: list, create, edit, delete; and a JSON view for scripts."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .forms import ConfirmForm, NoteForm
from .models import Note, db

bp = Blueprint("notes", __name__)


def get_own_note(note_id):
    note = db.get_or_404(Note, note_id)
    if note.author_id != current_user.id:
        abort(403)
    return note


@bp.route("/")
@login_required
def index():
    page = db.paginate(
        db.select(Note)
        .filter_by(author_id=current_user.id)
        .order_by(Note.created.desc(), Note.id.desc()),
        per_page=10,
    )
    return render_template("notes/index.html", page=page, delete_form=ConfirmForm())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = NoteForm()
    if form.validate_on_submit():
        note = Note(title=form.title.data, body=form.body.data, author=current_user)
        db.session.add(note)
        db.session.commit()
        flash(f"Saved “{note.title}”.")
        return redirect(url_for("index"))
    return render_template("notes/form.html", form=form, title="New note")


@bp.route("/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit(note_id):
    note = get_own_note(note_id)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        form.populate_obj(note)
        db.session.commit()
        flash(f"Saved “{note.title}”.")
        return redirect(url_for("index"))
    return render_template("notes/form.html", form=form, title="Edit note")


@bp.route("/<int:note_id>/delete", methods=["POST"])
@login_required
def delete(note_id):
    note = get_own_note(note_id)
    if ConfirmForm().validate_on_submit():
        db.session.delete(note)
        db.session.commit()
        flash(f"Deleted “{note.title}”.")
    return redirect(url_for("index"))


@bp.route("/api/notes")
@login_required
async def api_notes():
    # An async view, as Flask runs them with `pip install flask[async]`.
    # The query is quick (SQLite); see docs/extensions.md for slow ones.
    notes = db.session.scalars(
        db.select(Note).filter_by(author_id=current_user.id).order_by(Note.id)
    )
    return {"notes": [note.to_dict() for note in notes]}
