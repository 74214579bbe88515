"""The command line is one package (issue 14): one dispatch table from verb to handler, every
verb the parser knows has a handler there, and no verb module imports the package back (the
circle app.cli -> verb module -> app.cli is gone)."""

from __future__ import annotations

import argparse
import ast
import importlib
from pathlib import Path

from app.cli import VERBS, _parser

CLI = Path(__file__).resolve().parent.parent / "app" / "cli"


def _verbs_of_the_parser() -> list[str]:
    parser = _parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    raise AssertionError("the command line has no verbs")


def test_the_dispatch_table_and_the_parser_know_the_same_verbs_in_the_same_order() -> None:
    assert _verbs_of_the_parser() == list(VERBS)


def test_every_handler_of_the_table_exists_and_every_group_builds_its_parser() -> None:
    for verb, (module_name, handler) in VERBS.items():
        module = importlib.import_module(module_name)
        assert callable(getattr(module, handler, None)), verb
        assert callable(getattr(module, "add_parser", None)), module_name


def _from_the_package(path: Path) -> list[str]:
    """What ``path`` takes from the package app.cli itself (its submodules excepted)."""
    submodules = {module.stem for module in CLI.glob("*.py")}
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names if alias.name == "app.cli")
        elif isinstance(node, ast.ImportFrom) and node.module == "app.cli":
            found.extend(alias.name for alias in node.names if alias.name not in submodules)
    return found


def test_no_verb_module_imports_the_package() -> None:
    """Verb modules take login, actor, passphrase and file reading from app.cli.common; only
    ``python -m app.cli`` (__main__.py) imports the package itself."""
    offenders = {
        path.name: found
        for path in sorted(CLI.glob("*.py"))
        if path.name not in ("__init__.py", "__main__.py") and (found := _from_the_package(path))
    }
    assert offenders == {}
