"""Fuzzing the files an officer picks or brings on a USB stick, besides the sync files
(``tests/sync/test_fuzz_files.py``): criteria packs, signed pack repositories, spreadsheets.

Whatever the bytes, the reader answers with a clear error (a ``UserFacingError`` with a
message), or, for a readable spreadsheet with odd cells, a preview with a reason per row;
a refused pack import leaves the database exactly as it was, and a preview writes nothing.
"""

from __future__ import annotations

import copy
import hashlib
import io
import itertools
import json
import re
import shutil
import sqlite3
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tuf.api.metadata import TargetFile

from app.core.domain.errors import UserFacingError
from app.core.domain.packs.loader import PackError, load_pack, pack_from_document
from app.core.domain.records import KINDS, RecordKind
from app.core.services import packs
from app.core.services.records import RecordService
from app.core.services.spreadsheet import MAX_UNPACKED_BYTES, ImportPreview, RowStatus
from app.db.engine import Database
from app.db.open import open_database
from app.i18n import _
from app.paths import resources_dir
from app.sync.tuf_repo import PACK_DIR, Repository, open_repository
from tests.sync.helpers import db_digest

NOW = datetime.now(UTC)  # the shipped repository's signatures expire relative to today
PACKS = resources_dir() / "packs"
PACK_NAMES = ("ward-police-indicators", "bca-639-ward-police")
DEV_KEYS = resources_dir() / "trust" / "dev-keys"


def clear(error: UserFacingError) -> None:
    """A refusal the officer can read: a non-empty message (and, for a pack, its reasons)."""
    assert error.message.strip()
    if isinstance(error, PackError):
        assert error.problems and all(str(problem).strip() for problem in error.problems)


# --- strategies ------------------------------------------------------------------------------

mutations = st.lists(
    st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
    min_size=1,
    max_size=6,
)


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    buffer = bytearray(data)
    for position, value in edits:
        buffer[position % len(buffer)] = value
    return bytes(buffer[: cut % (len(buffer) + 1)] if cut is not None else buffer)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "2026-02-30", "0001-01-01", "9999-12-31", "B01", "x" * 5000]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((PACKS / f"{name}.json").read_text(encoding="utf-8"))
    return document


def _node_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _node_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _node_paths(child, (*prefix, index))


DOCUMENTS = {name: _document(name) for name in PACK_NAMES}
NODE_PATHS = {name: list(_node_paths(doc)) for name, doc in DOCUMENTS.items()}
DELETE = object()


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> None:
    """Put ``value`` at ``path`` (or delete the node); a path an earlier edit removed is
    skipped."""
    parent = document
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(parent, list) and not (isinstance(last, int) and last < len(parent)):
        return
    if not isinstance(parent, dict | list):
        return
    if value is not DELETE:
        parent[last] = value
    elif isinstance(parent, dict):
        parent.pop(last, None)
    else:
        del parent[last]


@st.composite
def near_valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped pack with one to three nodes replaced by other JSON or removed: past the
    "is this a pack" check, into the schema, the build and the meaning checks."""
    name = draw(st.sampled_from(PACK_NAMES))
    document = copy.deepcopy(DOCUMENTS[name])
    for _edit in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(NODE_PATHS[name]))
        _replace(document, path, draw(st.one_of(st.just(DELETE), json_values)))
    return document


def pack_bytes() -> st.SearchStrategy[bytes]:
    """Anything a pack file could hold: damaged real packs, near-valid packs, any JSON,
    any bytes."""
    originals = st.sampled_from([(PACKS / f"{name}.json").read_bytes() for name in PACK_NAMES])
    return st.one_of(
        st.builds(mutate, originals, mutations, st.one_of(st.none(), st.integers(min_value=0))),
        near_valid_documents().map(lambda doc: json.dumps(doc, ensure_ascii=False).encode()),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=2000),
    )


# --- 1. the pack document --------------------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(edits=mutations, cut=st.one_of(st.none(), st.integers(min_value=0)))
def test_mutated_pack_files_give_clear_errors(
    edits: list[tuple[int, int]], cut: int | None
) -> None:
    for name in PACK_NAMES:
        try:
            load_pack(mutate((PACKS / f"{name}.json").read_bytes(), edits, cut))
        except UserFacingError as error:
            clear(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid_documents())
def test_near_valid_packs_give_clear_errors(document: dict[str, Any]) -> None:
    data = json.dumps(document, ensure_ascii=False).encode()
    try:
        pack = load_pack(data)
    except UserFacingError as error:
        clear(error)
    else:
        assert pack.pack_id == document["pack_id"]


@settings(max_examples=100, deadline=None)
@given(st.one_of(json_values, st.dictionaries(st.text(max_size=12), json_values, max_size=6)))
def test_any_json_as_a_pack_gives_clear_errors(value: Any) -> None:
    for document in (value, {"format": "modelward-criteria-pack", "x": value}):
        try:
            load_pack(json.dumps(document).encode())
        except UserFacingError as error:
            clear(error)
    if isinstance(value, dict):
        value["format"] = "modelward-criteria-pack"
        try:
            pack_from_document(value)
        except UserFacingError as error:
            clear(error)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_as_a_pack_give_clear_errors(blob: bytes) -> None:
    with pytest.raises(UserFacingError) as caught:
        load_pack(blob)
    clear(caught.value)


def _nested_rule(depth: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"indicator": "B01", "op": ">=", "value": 1}
    for _level in range(depth):
        rule = {"all": [rule]}
    return rule


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000,
        b'{"format": "modelward-criteria-pack", "x": ' + b"[" * 500 + b"]" * 500 + b"}",
    ],
    ids=["json-nested-100000", "json-nested-500"],
)
def test_deeply_nested_json_is_refused(data: bytes) -> None:
    with pytest.raises(PackError) as caught:
        load_pack(data)
    clear(caught.value)


@pytest.mark.parametrize("depth", [20, 200])
def test_deeply_nested_rules_are_refused_not_recursed(depth: int) -> None:
    document = copy.deepcopy(DOCUMENTS["bca-639-ward-police"])
    document["groups"][0]["criteria"][0].update(scoring="threshold", rule=_nested_rule(depth))
    if depth <= 20:
        pack_from_document(document)  # a reasonable nesting is still a valid pack
        return
    with pytest.raises(PackError) as caught:
        load_pack(json.dumps(document).encode())
    clear(caught.value)


# --- 1b. a pack repository on a USB stick, through the install the Packs page runs -----------

BUNDLED = packs.bundled_repository()
REPO_FILES = sorted(p.relative_to(BUNDLED).as_posix() for p in BUNDLED.rglob("*") if p.is_file())
# files the stick may hold besides the shipped ones: a root rotation, a newer release
EXTRA_FILES = {"metadata/2.root.json": "metadata/1.root.json"}
_counter = itertools.count()


@contextmanager
def fresh_copy(template: Database, folder: Path) -> Iterator[Database]:
    """A copy of the ``template`` database file, so every example starts from the same rows."""
    target = folder / f"station-{next(_counter)}.sqlite"
    source, copy_ = sqlite3.connect(template.path), sqlite3.connect(target)
    try:
        source.backup(copy_)
    finally:
        source.close()
        copy_.close()
    db = open_database(target)
    try:
        yield db
    finally:
        db.close()


def install_or_refuse(db: Database, folder: Path) -> bool:
    """Install from ``folder`` as the Packs page does; a refusal must be clear and change no
    row of the database. Whatever got installed must read back."""
    before = db_digest(db)
    try:
        packs.install(db, folder, NOW, "Nguyễn Văn An")
    except UserFacingError as error:
        clear(error)
        assert db_digest(db) == before, "a refused install must leave the database unchanged"
        return False
    packs.active_packs(db)
    return True


@pytest.fixture(params=["empty", "installed"])
def template(request: pytest.FixtureRequest, empty_db: Database) -> Database:
    if request.param == "installed":
        packs.install_bundled(empty_db, NOW, "test")
    return empty_db


damage = st.one_of(
    st.tuples(st.just("mutate"), mutations, st.one_of(st.none(), st.integers(min_value=0))),
    st.tuples(st.just("replace"), st.one_of(st.binary(max_size=1500), pack_bytes())),
    st.tuples(st.just("delete")),
)


def _damage(folder: Path, name: str, how: tuple[Any, ...]) -> None:
    target = folder / name
    original = BUNDLED / EXTRA_FILES.get(name, name)
    if how[0] == "mutate":
        target.write_bytes(mutate(original.read_bytes(), how[1], how[2]))
    elif how[0] == "replace":
        target.write_bytes(how[1])
    elif target.exists():
        target.unlink()


def test_damaged_repository_files_are_refused_cleanly(template: Database, tmp_path: Path) -> None:
    @settings(max_examples=40, deadline=None)
    @given(
        st.lists(
            st.tuples(st.sampled_from([*REPO_FILES, *EXTRA_FILES]), damage),
            min_size=1,
            max_size=2,
        )
    )
    def check(damages: list[tuple[str, tuple[Any, ...]]]) -> None:
        folder = tmp_path / f"usb-{next(_counter)}"
        shutil.copytree(BUNDLED, folder)
        for name, how in damages:
            _damage(folder, name, how)
        with fresh_copy(template, tmp_path) as db:
            install_or_refuse(db, folder)

    check()


def publish_unchecked(repo: Repository, name: str, data: bytes) -> None:
    """``Repository.add_packs`` without the publisher's check: a careless or hostile
    publisher signing whatever bytes it likes, so the station's own checks are reached."""
    targets = repo.latest("targets")
    target_path = f"{PACK_DIR}/{name}.json"
    stored = repo.targets_dir / PACK_DIR / f"{hashlib.sha256(data).hexdigest()}.{name}.json"
    stored.write_bytes(data)
    targets.signed.targets[target_path] = TargetFile.from_data(target_path, data, ["sha256"])
    targets.signed.version += 1
    repo._sign(targets, "targets")
    repo._write(targets, "targets")
    repo._publish_snapshot(targets.signed.version)


def test_signed_but_broken_packs_are_refused_cleanly(template: Database, tmp_path: Path) -> None:
    @settings(max_examples=30, deadline=None)
    @given(name=st.sampled_from([*PACK_NAMES, "tinh-40-bo-sung"]), data=pack_bytes())
    def check(name: str, data: bytes) -> None:
        folder = tmp_path / f"usb-{next(_counter)}"
        shutil.copytree(BUNDLED, folder)
        publish_unchecked(open_repository(folder, DEV_KEYS, None), name, data)
        with fresh_copy(template, tmp_path) as db:
            install_or_refuse(db, folder)

    check()


def test_an_unreadable_stick_is_a_clear_error(
    template: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stick pulled out, or a bad sector, while python-tuf reads a file."""
    from app.sync.usb_fetcher import UsbFetcher

    def failing(_path: Path) -> Iterator[bytes]:
        yield b"{"
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(UsbFetcher, "_chunks", staticmethod(failing))
    folder = tmp_path / "usb"
    shutil.copytree(BUNDLED, folder)
    with fresh_copy(template, tmp_path) as db:
        assert not install_or_refuse(db, folder)


# --- 2. spreadsheets, through the preview the import dialog shows ----------------------------


def preview_or_refuse(service: RecordService, kind: str, path: Path) -> ImportPreview | None:
    """What the import dialog gets: a preview, or a clear refusal; either way nothing written."""
    before = db_digest(service.db)
    result: ImportPreview | None = None
    try:
        result = service.preview_import(kind, path)
    except UserFacingError as error:
        clear(error)
    else:
        well_formed(result)
    assert db_digest(service.db) == before, "a preview writes nothing"
    return result


def well_formed(result: ImportPreview) -> None:
    lines = [row.line for row in result.rows]
    assert lines == sorted(set(lines))
    for row in result.rows:
        assert isinstance(row.status, RowStatus)
        assert row.status is not RowStatus.INVALID or row.reason.strip()


def headers(kind: RecordKind) -> list[str]:
    return [_(spec.label) for spec in kind.fields]


kinds = st.sampled_from(KINDS)


def test_random_bytes_as_a_spreadsheet(service: RecordService, tmp_path: Path) -> None:
    @settings(max_examples=80, deadline=None)
    @given(
        kind=kinds,
        suffix=st.sampled_from([".csv", ".xlsx", ".txt"]),
        start=st.sampled_from([b"", b"PK\x03\x04", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"]),
        blob=st.binary(max_size=3000),
    )
    def check(kind: RecordKind, suffix: str, start: bytes, blob: bytes) -> None:
        path = tmp_path / f"list-{next(_counter)}{suffix}"
        path.write_bytes(start + blob)
        preview_or_refuse(service, kind.code, path)

    check()


VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứự"
    "ỳỷỹýỵAĂÂĐÊÔƠƯ 0123456789,.;:/-'\""
)
texts = st.text(alphabet=VIETNAMESE, max_size=60) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=30
)
cell_values = st.one_of(
    st.none(),
    texts,
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=date(1900, 3, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1)),
    st.times(),
    st.booleans(),
    st.sampled_from(["=1/0", "=A1", "=SUM(A:A)", "=NA()", '=HYPERLINK("http://x","y")', "="]),
    st.integers(min_value=30_000, max_value=40_000).map(lambda n: "Nguyễn " * (n // 7)),
)


def workbook_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_odd_cells_in_a_real_workbook_give_a_preview(
    service: RecordService, tmp_path: Path
) -> None:
    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        kind=kinds,
        title=st.booleans(),
        data=st.data(),
    )
    def check(kind: RecordKind, title: bool, data: st.DataObject) -> None:
        width = len(kind.fields) + data.draw(st.integers(min_value=-1, max_value=2))
        rows = data.draw(
            st.lists(st.lists(cell_values, min_size=0, max_size=width), min_size=1, max_size=8)
        )
        top = [["DANH SÁCH " + _(kind.title).upper()], []] if title else []
        path = tmp_path / f"list-{next(_counter)}.xlsx"
        path.write_bytes(workbook_bytes([*top, headers(kind), *rows]))
        result = service.preview_import(kind.code, path)  # never an exception
        well_formed(result)
        assert len(result.rows) <= len(rows)
        assert all(row.line > len(top) + 1 for row in result.rows)

    check()


ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "cp1258",
    "latin-1",
]
READABLE = {"utf-8", "utf-8-sig", "utf-16"}


def test_csv_in_any_encoding_and_delimiter(service: RecordService, tmp_path: Path) -> None:
    @settings(max_examples=80, deadline=None)
    @given(
        kind=kinds,
        encoding=st.sampled_from(ENCODINGS),
        delimiter=st.sampled_from([",", ";", "\t", "|"]),
        newline=st.sampled_from(["\r\n", "\n", "\r"]),
        rows=st.lists(st.lists(texts, max_size=8), max_size=6),
    )
    def check(
        kind: RecordKind, encoding: str, delimiter: str, newline: str, rows: list[list[str]]
    ) -> None:
        import csv

        text = io.StringIO()
        writer = csv.writer(text, delimiter=delimiter, lineterminator=newline)
        writer.writerows([headers(kind), *rows])
        path = tmp_path / f"list-{next(_counter)}.csv"
        path.write_bytes(text.getvalue().encode(encoding, errors="replace"))
        result = preview_or_refuse(service, kind.code, path)
        if encoding in READABLE and delimiter != "|" and newline != "\r":
            assert result is not None, "a well-formed CSV in a supported form is read"

    check()


KINDS_BY = {kind.code: kind for kind in KINDS}


@pytest.fixture(scope="module")
def real_workbook() -> bytes:
    rows: list[list[Any]] = [["DANH SÁCH CAMERA AN NINH"], [], headers(KINDS_BY["cameras"])]
    rows += [
        [f"Số {n} Lê Lợi", "Hộ gia đình", f"Nguyễn Văn {n}", "Hoạt động tốt", n % 2 == 0, None]
        for n in range(60)
    ]
    return workbook_bytes(rows)


def test_truncated_or_damaged_workbooks(
    service: RecordService, tmp_path: Path, real_workbook: bytes
) -> None:
    assert preview_or_refuse(service, "cameras", _write(tmp_path, real_workbook)) is not None

    @settings(max_examples=80, deadline=None)
    @given(
        cut=st.one_of(st.none(), st.integers(min_value=0)),
        edits=st.one_of(st.just([]), mutations),
    )
    def check(cut: int | None, edits: list[tuple[int, int]]) -> None:
        data = (
            mutate(real_workbook, edits, cut)
            if edits
            else real_workbook[: (cut or 0) % len(real_workbook)]
        )
        preview_or_refuse(service, "cameras", _write(tmp_path, data))

    check()


def _write(folder: Path, data: bytes, suffix: str = ".xlsx") -> Path:
    path = folder / f"list-{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


def _rewrite_sheet(workbook: bytes, change: Callable[[str], str]) -> bytes:
    """The same workbook with its first sheet's XML changed, the way a crafted file is."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info.filename, data)
    return out.getvalue()


def _huge_dimension(xml: str) -> str:
    """Declare the whole Excel grid and put a cell in its last column on thousands of rows:
    a 100 kB file that used to take gigabytes (every row padded to 16,384 cells)."""
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
    far = "".join(
        f'<row r="{n}"><c r="XFD{n}" t="inlineStr"><is><t>x</t></is></c></row>'
        for n in range(70, 3070)
    )
    return xml.replace("</sheetData>", far + "</sheetData>")


def _last_row(xml: str) -> str:
    return xml.replace(
        "</sheetData>",
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>Số 9 Lê Lợi</t></is></c></row>'
        "</sheetData>",
    )


def _beyond_excel(xml: str) -> str:
    return xml.replace(
        "</sheetData>", '<row r="99999999999"><c r="A99999999999"><v>1</v></c></row></sheetData>'
    )


@contextmanager
def bounded(megabytes: int) -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < megabytes * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"


def test_a_huge_declared_sheet_is_read_in_bounded_memory(
    service: RecordService, tmp_path: Path, real_workbook: bytes
) -> None:
    path = _write(tmp_path, _rewrite_sheet(real_workbook, _huge_dimension))
    assert path.stat().st_size < 200 * 1024
    with bounded(megabytes=64):
        result = preview_or_refuse(service, "cameras", path)
    # the 60 cameras are read; the far cells lie beyond the columns read
    assert result is not None and len(result.rows) == 60


def test_rows_far_down_are_read_or_refused_in_bounded_time(
    service: RecordService, tmp_path: Path, real_workbook: bytes
) -> None:
    started = time.perf_counter()
    result = preview_or_refuse(
        service, "cameras", _write(tmp_path, _rewrite_sheet(real_workbook, _last_row))
    )
    assert result is not None and result.rows[-1].line == 1_048_576  # Excel's last row is read
    beyond = _write(tmp_path, _rewrite_sheet(real_workbook, _beyond_excel))
    assert preview_or_refuse(service, "cameras", beyond) is None
    assert time.perf_counter() - started < 15


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    service: RecordService, tmp_path: Path, real_workbook: bytes
) -> None:
    source = zipfile.ZipFile(io.BytesIO(real_workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        with target.open("xl/media/padding.bin", "w", force_zip64=True) as stream:
            chunk = b"\0" * (1024 * 1024)
            for _megabyte in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                stream.write(chunk)
    path = _write(tmp_path, out.getvalue())
    assert path.stat().st_size < 1024 * 1024
    with bounded(megabytes=16), pytest.raises(UserFacingError) as caught:
        service.preview_import("cameras", path)
    assert path.name in caught.value.message
    assert str(MAX_UNPACKED_BYTES // (1024 * 1024)) in caught.value.message
