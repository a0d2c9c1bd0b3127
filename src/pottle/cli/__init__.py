"""The ``pottle`` command line, with ``flask.cli``'s names: finding the app
(:mod:`.discovery`), the group's options and dotenv files (:mod:`.options`),
the ``run``, ``shell`` and ``routes`` commands (:mod:`.commands`), and the
command groups (:mod:`.groups`). ``FLASK_*`` variables and ``flask.commands``
plugins work as fallbacks; serving itself is :mod:`pottle.serving`'s job.
"""

from __future__ import annotations

from .commands import CertParamType as CertParamType
from .commands import SeparatedPathType as SeparatedPathType
from .commands import routes_command as routes_command
from .commands import run_command as run_command
from .commands import shell_command as shell_command
from .commands import show_server_banner as show_server_banner
from .discovery import NoAppException as NoAppException
from .discovery import ScriptInfo as ScriptInfo
from .discovery import find_app_by_string as find_app_by_string
from .discovery import find_best_app as find_best_app
from .discovery import locate_app as locate_app
from .discovery import pass_script_info as pass_script_info
from .discovery import prepare_import as prepare_import
from .discovery import with_appcontext as with_appcontext
from .groups import AppGroup as AppGroup
from .groups import FlaskGroup as FlaskGroup
from .groups import PottleGroup as PottleGroup
from .groups import cli as cli
from .groups import main as main
from .options import get_version as get_version
from .options import load_dotenv as load_dotenv
from .options import version_option as version_option
