"""``python -m app``: the ``modelward`` command."""

from app.cli import main

raise SystemExit(main())
