"""The layers of app/ and the only directions their imports may point (docs/architecture.md).

Every import counts, the lazy ones inside functions too: a lazy import is still a dependency,
and the import circles this test replaced were made of lazy imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# the shared ground every layer stands on: translation, paths, logging, durable file writes
BASE = "base"
LAYERS = {
    "app.core.domain": "domain",
    "app.core.services": "services",
    "app.db": "db",
    "app.sync": "sync",
    "app.security": "security",
    "app.reports": "reports",
    "app.cli": "cli",
    "app.ui": "ui",
    "app.i18n": BASE,
    "app.paths": BASE,
    "app.logs": BASE,
    "app.fileio": BASE,
    "app": BASE,  # app/__init__.py: the version
    "app.core": BASE,  # the package of domain and services; nothing in it
    "app.__main__": "entry",
}
# who may import whom (a layer may always import itself)
ALLOWED = {
    BASE: {"domain"},
    "domain": {BASE},
    "db": {"domain", BASE},
    "sync": {"domain", BASE},
    "security": {"domain", BASE},
    "reports": {"domain", BASE},
    "services": {"db", "sync", "security", "reports", "domain", BASE},
    "cli": {"services", "domain", "ui", BASE},  # `modelward gui|demo --open` opens the window
    "ui": {"services", "domain", BASE},
    "entry": {"cli", BASE},
}
CRYPTO = ("cryptography", "pyrage", "argon2", "sqlcipher3")
CRYPTO_HOMES = ("app/sync/", "app/security/", "app/db/cipher.py")


def layer_of(module: str) -> str | None:
    best = max(
        (name for name in LAYERS if module == name or module.startswith(name + ".")),
        key=len,
        default=None,
    )
    return LAYERS[best] if best is not None else None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> Iterator[str]:
    """Every module ``path`` imports, at any depth, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            # `from app.core import services` imports the submodule app.core.services
            yield from (f"{base}.{alias.name}" for alias in node.names)


def forbidden_edges(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "app").rglob("*.py")):
        module = module_name(path, root)
        source = layer_of(module)
        for target in sorted(set(imports_of(path, module))):
            if not target.startswith("app"):
                continue
            goal = layer_of(target)
            if goal is None or source is None or goal == source:
                continue
            if goal not in ALLOWED.get(source, set()):
                found.append(f"{module} ({source}) imports {target} ({goal})")
    return found


def crypto_outside_homes(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "app").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(CRYPTO_HOMES):
            continue
        names = imports_of(path, module_name(path, root))
        if any(name.split(".")[0] in CRYPTO for name in names):
            found.append(rel)
    return found


def test_every_module_belongs_to_a_layer() -> None:
    lost = [
        module_name(path, ROOT)
        for path in (ROOT / "app").rglob("*.py")
        if layer_of(module_name(path, ROOT)) in (None, BASE)
        and module_name(path, ROOT) not in LAYERS
    ]
    assert lost == []


def test_imports_point_only_down_the_layers() -> None:
    assert forbidden_edges(ROOT) == []


def test_crypto_libraries_are_imported_only_in_their_homes() -> None:
    assert crypto_outside_homes(ROOT) == []


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("app/db/extra.py", "from app.core.services import records\n"),
        ("app/sync/extra.py", "import app.db.models\n"),
        ("app/reports/extra.py", "def f():\n    from app.core.services.records import x\n"),
        ("app/ui/extra.py", "from app.db.engine import Database\n"),
        ("app/core/domain/extra.py", "from ..services import records\n"),
        ("app/cli/extra.py", "from app.security import keyring_file\n"),
    ],
)
def test_the_check_finds_a_forbidden_import(tmp_path: Path, where: str, line: str) -> None:
    target = tmp_path / where
    target.parent.mkdir(parents=True)
    target.write_text("from app.core.domain import errors\n", encoding="utf-8")
    assert forbidden_edges(tmp_path) == []  # the domain is open to every layer
    target.write_text(line, encoding="utf-8")
    found = forbidden_edges(tmp_path)
    assert found, line
    module = where.removesuffix(".py").replace("/", ".")
    assert all(edge.startswith(module + " ") for edge in found)


def test_the_check_finds_crypto_outside_its_homes(tmp_path: Path) -> None:
    target = tmp_path / "app" / "core" / "services" / "extra.py"
    target.parent.mkdir(parents=True)
    target.write_text("import argon2\n", encoding="utf-8")
    (tmp_path / "app" / "db").mkdir()
    (tmp_path / "app" / "db" / "cipher.py").write_text("import sqlcipher3\n", encoding="utf-8")
    assert crypto_outside_homes(tmp_path) == ["app/core/services/extra.py"]
