"""``python -m app.cli``: the ``modelward`` command."""

from app.cli import main

raise SystemExit(main())
