"""Build the DEVELOPMENT trust root and the signed repository of the default packs.

    python tools/build_dev_repository.py

Writes resources/trust/dev-keys/*.pem (unencrypted: development only, never for real packs),
resources/trust/dev-root.json, resources/trust/root.json (the root the app trusts; an
authority's build replaces it, see docs/criteria-pack.md) and resources/packs/repository/
(the default packs signed with the development keys, fresh for ten years so a demo station
can always install them). Re-run it after editing a pack in resources/packs/.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.sync.tuf_repo import Expiry, init_repository  # noqa: E402

TRUST = ROOT / "resources" / "trust"
KEYS = TRUST / "dev-keys"
REPOSITORY = ROOT / "resources" / "packs" / "repository"
PACKS = sorted(p for p in (ROOT / "resources" / "packs").glob("*.json") if "schema" not in p.name)
TEN_YEARS = Expiry(root_days=3650, targets_days=3650, snapshot_days=3650, timestamp_days=3650)


def main() -> int:
    if REPOSITORY.exists():
        shutil.rmtree(REPOSITORY)
    # existing development keys are reused, so the root keeps the same keys across rebuilds
    repository = init_repository(REPOSITORY, KEYS, None, expiry=TEN_YEARS)
    shutil.copy(REPOSITORY / "metadata" / "1.root.json", TRUST / "dev-root.json")
    shutil.copy(TRUST / "dev-root.json", TRUST / "root.json")
    print("signed:", ", ".join(repository.add_packs(PACKS)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
