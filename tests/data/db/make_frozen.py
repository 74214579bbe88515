"""Freeze a small database at the current schema head: `python tests/data/db/make_frozen.py
tests/data/db/<revision>.sqlite`. Run once per schema release; never regenerate an old one."""

import datetime
import sqlite3
import sys
from pathlib import Path

from app.core.services.demo import DemoBuilder
from app.db.open import open_database

out = Path(sys.argv[1])
out.unlink(missing_ok=True)
db = open_database(out)
DemoBuilder(db, 1, datetime.date(2026, 11, 23), seed=1).build()
with db.engine.connect() as c:
    c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
con = sqlite3.connect(out)
con.execute("PRAGMA journal_mode=DELETE")
con.execute("VACUUM")
con.close()
