"""``python -m pottle``: the ``pottle`` command."""

from pottle.cli import main

main()
