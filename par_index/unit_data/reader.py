"""Reading unit data: a folder of CSVs, or one .xlsx with sheets of the same names.

``units`` (unit, name, kind), ``assessments`` (unit, criterion, value [, stage, note, points])
and optionally ``evidence`` (unit, criterion, document [, issued_on, issuer, file]). All text is
read as text (nothing is guessed), NFC-normalised, and every row keeps where it came from
(file and line, or sheet and row) so problems can point at it.

Other readers (the self-assessment workbook) are listed in :mod:`par_index.pipeline` and return the same
:class:`UnitData`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from par_index.common.arrow_numpy import to_arrow, to_numpy
from par_index.common.codes import factorize
from par_index.common.text_files import undecodable
from par_index.common.values import nfc, nfc_texts
from par_index.errors import InputError, Problem
from par_index.messages import (
    COLUMN_UNKNOWN,
    CSV_TOO_MANY_CELLS,
    EXCEL_UNREADABLE,
    FILE_EMPTY,
    FILE_MISSING,
    FILE_NOT_UTF8,
    FILE_UNREADABLE,
    FORMULA_IN_CELL,
    SAVE_AS_CSV_UTF8,
    column_missing,
)
from par_index.unit_data.table import Column, Table, Texts, empty_texts, factorize_runs
from par_index.unit_data.value_table import value_table

if TYPE_CHECKING:
    import pandas as pd

TABLES: dict[str, tuple[list[str], list[str]]] = {
    # name: (required columns, optional columns)
    "units": (["unit", "name", "kind"], ["group"]),  # group: optional, for ranking within groups
    "assessments": (["unit", "criterion", "value"], ["stage", "note", "points"]),
    "evidence": (["unit", "criterion", "document"], ["issued_on", "issuer", "file"]),
}
STAGES = ("self", "survey", "appraisal1", "appraisal2")


class _Frame:
    """A table of :class:`UnitData`: held as the reader made it (a :class:`Table`, read by the
    score path without pandas) or as someone set it (a DataFrame); read as a DataFrame, built
    from the table on first access (:meth:`Table.frame`). Once it is a DataFrame, the frame is
    what the table is: changed in place, it is read again (:meth:`UnitData.table`)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> pd.DataFrame:
        if obj is None:
            raise AttributeError(self.name)  # no default: the dataclass field is required
        return self._frame(obj)

    def _frame(self, obj: object) -> Any:
        held = obj.__dict__[self.name]
        if isinstance(held, Table):
            frame = held.frame()  # remembers that its table is ``held`` while it holds the same
            obj.__dict__[self.name] = frame
            return frame
        return held

    def __set__(self, obj: object, value: pd.DataFrame | Table) -> None:
        obj.__dict__[self.name] = value


class _OptionalFrame(_Frame):
    """:class:`_Frame` of a table that may not have been read (None, the field's default)."""

    def __get__(self, obj: object, owner: type | None = None) -> pd.DataFrame | None:  # type: ignore[override]
        return None if obj is None else self._frame(obj)

    def __set__(self, obj: object, value: pd.DataFrame | Table | None) -> None:
        super().__set__(obj, value)  # type: ignore[arg-type]


@dataclass
class UnitData:
    """The three tables, with ``at_file`` and ``at_line`` (and ``at_cell`` when known) on each row.

    Each table reads as a pandas DataFrame, built on first access; :meth:`table` gives the
    same table without pandas (what the score path reads) — of the frame as it is now, if it was
    changed in place since."""

    units: _Frame = _Frame()
    assessments: _Frame = _Frame()
    evidence: _Frame = _Frame()
    source: str = ""
    problems: list[Problem] = field(default_factory=list)
    files_root: Path | None = None  # where evidence ``file`` paths are resolved
    # folders a link under files_root may lead to: only the province server's own file store,
    # linked into the temporary folder it scores (never set from anything a user gives)
    trusted_links: tuple[Path, ...] = ()
    label: str | None = None  # what the data is, shown on every output (e.g. "synthetic")
    # Optional tables read beside the three by the readers pipeline.read_data lists (None when
    # not read); they never change the three tables' columns.
    appraisals: _OptionalFrame = _OptionalFrame()  # appraisal records (appraisal.records.RECORD_COLUMNS)
    explanations: _OptionalFrame = _OptionalFrame()  # units' explanations of their values
    survey: pd.DataFrame | None = None  # the survey's answer counts, as checked
    # Steps that need the criteria to add their rows (survey answer counts → shares);
    # the engine runs them through :meth:`for_criteria` before scoring.
    resolvers: list[Callable[[UnitData, Sequence[Any]], None]] = field(default_factory=list)

    def table(self, name: str) -> Table:
        """Table ``name`` (units, assessments, evidence, appraisals, explanations) without pandas:
        as read, or the table of its DataFrame (the one built on access or set since), converted
        once while the frame holds the same cells (:meth:`Table.from_frame`; a frame changed in
        place is converted again)."""
        held = self.__dict__[name]
        if isinstance(held, Table):
            return held
        if held is None:
            raise KeyError(name)
        return Table.from_frame(held)

    def has(self, name: str) -> bool:
        """Whether the optional table ``name`` was read."""
        return self.__dict__.get(name) is not None

    def for_criteria(self, criteria: Sequence[Any]) -> UnitData:
        """This data with the rows that need the criteria built (a copy; ``self`` is unchanged)."""
        if not self.resolvers:
            return self
        out = replace(self, assessments=self.assessments.copy(), problems=list(self.problems), resolvers=[])
        for resolve in self.resolvers:
            resolve(out, criteria)
        return out


def empty_table(name: str) -> pd.DataFrame:
    return empty(name).frame()


def empty(name: str) -> Table:
    """Table ``name`` with no rows (every column an empty object column, as its frame)."""
    req, opt = TABLES[name]
    return Table({c: np.zeros(0, dtype=object) for c in req + opt + ["at_file", "at_line"]})


def finish_table(
    name: str, df: pd.DataFrame, file: str, problems: list[Problem], first_line: int = 2, complete: bool = False
) -> pd.DataFrame:
    """:func:`finish` of a DataFrame (a workbook's, a test's), as a DataFrame."""
    return finish(name, Table.from_frame(df), file, problems, first_line, complete).frame()


def finish(
    name: str,
    raw: Table,
    file: str,
    problems: list[Problem],
    first_line: int = 2,
    complete: bool = False,
    categorical: bool = False,
) -> Table:
    """Check columns, normalise text and add provenance columns to one raw table.

    ``complete``: the reader never leaves a cell missing (CSV read without NA detection), so
    the text columns need no scan for missing cells. ``categorical``: the text columns read as
    Categoricals in the table's frame (the assessment rows, read columnar), else as texts.
    """
    req, opt = TABLES[name]
    given = {nfc(str(c)).strip().lower(): col for c, col in raw.columns.items()}
    missing = [c for c in req if c not in given]
    if missing:
        raise InputError(
            Problem(
                "column_missing",
                column_missing(missing, f"bảng '{name}'", req, opt),
                file=file,
                line=1,
            )
        )
    extra = [c for c in given if c not in req + opt and not c.startswith("at_")]
    for col in extra:
        problems.append(
            Problem(
                "column_unknown",
                COLUMN_UNKNOWN.format(column=col, table=f"bảng '{name}'", columns=", ".join(req + opt)),
                file=file,
                line=1,
                severity="warning",
            )
        )
    n = len(raw)
    shown = "category" if categorical else "object"
    out: dict[str, Column] = {}
    for col in req + opt:
        cells = given.get(col)
        if col in ("value", "note", "points", "document"):
            if cells is None:  # one empty text, not one per row
                out[col] = empty_texts(n, shown)
            elif isinstance(cells, Texts):
                out[col] = Texts(cells.codes, cells.texts, shown)  # texts as read
            else:
                out[col] = cells if complete else _filled(cells)
        else:
            out[col] = normal_text(cells if cells is not None else empty_texts(n), "self" if name == "assessments" and col == "stage" else "", shown)
    if "at_line" in given:
        out["at_line"] = _cells(given["at_line"])
    else:
        last = first_line + n
        out["at_line"] = np.arange(first_line, last, dtype=np.int32 if last < 2**31 else np.int64)  # 4 bytes a row
    # one byte a row, not a text; its zeroed codes never written, so never resident
    out["at_file"] = Texts(np.zeros(n, dtype=np.int8), np.array([file], dtype=object), "category")
    if "at_cell" in given:
        out["at_cell"] = _cells(given["at_cell"])
    table = Table(out)
    if name == "units":
        unit = out["unit"]
        assert isinstance(unit, Texts)
        check_unit_ids(table, unit.texts, file)
    return table


def _cells(column: Column) -> np.ndarray:
    """A column's cells as an array."""
    return column.values() if isinstance(column, Texts) else column


def _filled(cells: np.ndarray) -> np.ndarray:
    """Cells of a column that may miss some (a frame's): a missing cell (None, NaN) as ''."""
    if all(type(v) is str for v in cells.tolist()):
        return cells
    return np.array(["" if _missing(v) else v for v in cells.tolist()], dtype=object)


def _missing(v: object) -> bool:
    """A missing cell as pandas gives one: None, NaN, pandas' NA or NaT."""
    return v is None or (isinstance(v, float) and v != v) or type(v).__name__ in ("NAType", "NaTType")


# A unit id names files (``report`` writes don-vi/<id>.html), so it is a plain word: letters
# (Vietnamese ones too), digits, '_', '.', '-', not starting with '.' or '-', at most 64
# characters — no '/', '\\', space or control character (criterion codes: criteria.model.Code).
UNIT_ID = re.compile(r"\w[\w.\-]{0,63}")
_ALL_UNIT_IDS = re.compile(r"(?:\w[\w.\-]{0,63}\n)*")  # ids that hold no line break, each followed by one: all follow UNIT_ID


def check_unit_ids(units: Table, distinct: np.ndarray, file: str) -> None:
    """:class:`InputError` naming each unit id that does not follow :data:`UNIT_ID` (its line)."""
    given = [str(u) for u in distinct.tolist() if u]  # an empty id is reported elsewhere
    joined = "\n".join(given) + "\n"
    if joined.count("\n") == len(given) and _ALL_UNIT_IDS.fullmatch(joined) is not None:  # every id at once, in C
        return
    bad = [u for u in given if not UNIT_ID.fullmatch(u)]
    if not bad:
        return
    problems = []
    lines = np.asarray(units["at_line"])
    ids = units.texts("unit")
    for u in bad[:20]:
        where = np.flatnonzero(ids == u)
        line = int(lines[where[0]]) if len(where) else None
        shown = repr(u[:80] + ("…" if len(u) > 80 else ""))
        problems.append(
            Problem(
                "unit_id_format",
                f"mã đơn vị {shown} không hợp lệ: mã chỉ gồm chữ cái, chữ số, '_', '.', '-', "
                "không bắt đầu bằng '.' hay '-', tối đa 64 ký tự (ví dụ so-noi-vu)",
                file=file,
                line=line,
                unit=u[:80],
            )
        )
    raise InputError(problems)


def _normal_texts(uniques: Any, empty: str) -> np.ndarray:
    """The distinct texts of a column NFC'd and stripped, ``empty`` for an empty one, and
    ``empty`` appended (the text of a missing cell, code −1)."""
    normal = nfc_texts(uniques)
    if empty:
        normal = [t or empty for t in normal]
    return np.array([*normal, empty], dtype=object)


def normal_text(cells: Column, empty: str, shown: str) -> Texts:
    """A text column NFC'd and stripped, ``empty`` for empty texts (a missing cell too), as
    codes into its distinct normal texts: only the distinct texts are read (a column read
    columnar), or the column is factorized first (a frame's object column)."""
    if isinstance(cells, Texts):
        codes, uniques = cells.codes, cells.texts
    else:
        codes, uniques = factorize_runs(cells)  # missing cells (None, NaN) → −1 → empty
    normal = _normal_texts(uniques, empty)
    if codes.min(initial=0) >= 0 and (normal[:-1] == uniques).all():
        return Texts(codes, np.asarray(uniques, dtype=object), shown)  # already normal (the usual case): the codes as read
    merged, distinct = factorize(normal)  # two spellings of one text become one code
    if codes.min(initial=0) >= 0 and (merged[:-1] == np.arange(len(uniques))).all():
        return Texts(codes, distinct, shown)  # each text keeps its code, only texts change: no new codes per row
    return Texts(merged.astype(codes.dtype)[codes], distinct, shown)  # −1 (missing) takes the appended ``empty``


def csv_dialect(path: Path) -> tuple[str, str]:
    """(encoding, separator) of a user's CSV: UTF-16 when it starts with a UTF-16 BOM (Excel's
    «Unicode Text»), else UTF-8 with or without BOM; ``;`` when the header line has semicolons
    and no comma (what Excel writes in a Vietnamese locale, where the decimal mark is a comma)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return "utf-8-sig", ","  # the reader reports the file
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    first = head.decode(encoding, "ignore").lstrip("\ufeff").splitlines()[:1]
    header = first[0] if first else ""
    return encoding, (";" if ";" in header and "," not in header else ",")


def encoding_problem(path: Path, encoding: str) -> Problem:
    """The CSV is not UTF-8: where (line, and the column under its header name), and how to save
    it as Excel's «CSV UTF-8»."""
    with path.open("rb") as fh:
        bad = undecodable(fh, encoding)
    if bad is None:  # the decoder failed where a re-read does not: name the file only
        return Problem("file_encoding", FILE_NOT_UTF8.format(byte="??", where="một chỗ") + ". " + SAVE_AS_CSV_UTF8, file=str(path))
    where = f"ký tự thứ {bad.column} của dòng"
    if bad.line > 1:
        _, sep = csv_dialect(path)
        fields = next(csv.reader([bad.before + "?"], delimiter=sep), [""])  # "?": the bad byte's own field
        with path.open("rb") as fh:
            header = next(csv.reader([fh.readline(65536).decode(encoding, "replace").lstrip("\ufeff").rstrip("\r\n")], delimiter=sep), [])
        if len(fields) <= len(header) and header[len(fields) - 1].strip():
            where = f"cột {header[len(fields) - 1].strip()} ({where})"
    message = FILE_NOT_UTF8.format(byte=f"{bad.byte:02x}", where=where) + ". " + SAVE_AS_CSV_UTF8
    return Problem("file_encoding", message, file=str(path), line=bad.line)


def _too_many_cells(path: Path, encoding: str, sep: str) -> Problem:
    """The first row with more cells than the header (read again with the csv module: an error path)."""
    with path.open(encoding=encoding, newline="") as f:
        rows = csv.reader(f, delimiter=sep)
        header = next(rows, [])
        for row in rows:
            if len(row) > len(header):
                message = CSV_TOO_MANY_CELLS.format(cells=len(row), header=len(header))
                return Problem("csv_columns", message, file=str(path), line=rows.line_num)
    return Problem("csv_columns", CSV_TOO_MANY_CELLS.format(cells="nhiều", header=len(header)), file=str(path))


def read_csv_table(path: Path) -> pd.DataFrame:
    """A user's CSV as text cells: UTF-8 (with or without BOM) or UTF-16 with BOM, separated by
    commas or (Excel in a Vietnamese locale) semicolons; anything else is an :class:`InputError`.
    (:func:`read_csv` reads a plain file without pandas, and comes here for the others.)"""
    import pandas as pd

    encoding, sep = csv_dialect(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                path, dtype=object, keep_default_na=False, na_filter=False, encoding=encoding, index_col=False, sep=sep
            )
    except pd.errors.ParserWarning:  # a row longer than the header: find it to name it
        raise InputError(_too_many_cells(path, encoding, sep)) from None
    except UnicodeDecodeError:
        raise InputError(encoding_problem(path, encoding)) from None
    except pd.errors.EmptyDataError:
        raise InputError(Problem("file_empty", FILE_EMPTY.format(what="tệp"), file=str(path))) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        m2 = re.search(r"Expected (\d+) fields", str(exc))
        if m and m2:
            msg = CSV_TOO_MANY_CELLS.format(cells=m.group(2), header=m2.group(1))
            raise InputError(Problem("csv_columns", msg, file=str(path), line=int(m.group(1)))) from None
        raise InputError(Problem("csv_syntax", f"không đọc được CSV: {exc}", file=str(path))) from None
    except OSError as exc:
        raise InputError(Problem("file_unreadable", FILE_UNREADABLE.format(reason=exc.strerror), file=str(path))) from None


def read_csv(path: Path) -> Table:
    """A user's CSV as text cells (:func:`read_csv_table`'s grammar and messages): read columnar
    when the file is plain (:func:`read_csv_columnar`), else by pandas as a frame's table."""
    columnar = read_csv_columnar(path)
    return columnar if columnar is not None else Table.from_frame(read_csv_table(path))


def read_csv_columnar(path: Path, block_size: int = 4 << 20) -> Table | None:
    """A CSV (the assessment rows: big) as dictionary-encoded text columns, read by pyarrow: each
    column :class:`Texts` of its distinct texts (integer codes in the order the
    texts first appear, as :func:`pandas.factorize` gives them) — no Python string per row.

    The file is read in blocks of ``block_size`` bytes, each block's columns encoded and its
    strings dropped before the next is read: the whole file is never in memory as text, only
    the codes (the smallest integers that hold each column's distinct texts, 1–4 bytes a row).

    Only for a plain file: UTF-8, a header of distinct non-empty names, every row as wide as
    the header. Anything else (or anything pyarrow refuses) gives
    None and :func:`read_csv_table` reads the file, with its messages for what is wrong."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding, sep = csv_dialect(path)
    if encoding != "utf-8-sig":
        return None
    try:
        with path.open("rb") as fh:
            first = fh.readline(65536).decode("utf-8").lstrip("\ufeff")
    except (OSError, UnicodeDecodeError):
        return None
    names = next(csv.reader([first.rstrip("\r\n")], delimiter=sep), [])
    if not names or "" in names or len(set(names)) != len(names) or '"' in first:
        return None
    try:
        capacity = path.stat().st_size // len(names) + 1  # a row has a separator or line end per cell
    except OSError:
        return None
    encoders = [_ColumnCodes(capacity) for _ in names]
    try:
        batches = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
        if batches.schema.names != names:
            return None
        for batch in batches:
            for encoder, column in zip(encoders, batch.columns, strict=True):
                data = column.buffers()[2]
                if data is None or data.size == 0:  # every cell empty (an unused note or points column): nothing to hash
                    encoder.add_empty(len(column))
                else:
                    encoder.add_texts(column)
    except (pa.ArrowException, OSError, ValueError):
        return None
    finally:
        pa.default_memory_pool().release_unused()  # the blocks' text, read and dropped: give it back
    if not encoders[0].rows:
        return None
    return Table({name: encoder.texts() for name, encoder in zip(names, encoders, strict=True)})


class _ColumnCodes:
    """One column's codes, block by block, into the distinct texts of all blocks so far (each
    block's dictionary is mapped onto them: only its few distinct texts are Python strings).

    The codes go into one buffer of ``capacity`` rows (the most rows the file can have), in the
    smallest integer type that holds the texts so far (widened when a block brings more): the
    pages past the last row are never touched, so never resident, and no block list is
    concatenated (which would leave its blocks' memory behind in the heap). The buffer starts
    zeroed (fresh pages from the system), so cells of code 0 need no write: a column whose cells
    are all empty (an unused note or points column) stays untouched and takes no memory."""

    def __init__(self, capacity: int) -> None:
        self.known: dict[str, int] = {}
        self.codes = np.zeros(capacity, dtype=np.int8)
        self.rows = 0
        self.in_runs: bool | None = None  # the column comes in runs of equal texts (decided on its first block)
        self.settled = False  # the last block brought no new text
        self._texts: Any = None  # ``known`` as a pyarrow array in code order (None: not built, or behind ``known``)

    def add_texts(self, column: Any) -> None:
        """A block of texts (a pyarrow string array), dictionary-encoded by pyarrow; a column in
        runs (the rows of one unit, of one stage) is run-length encoded first, so only the first
        text of each run is hashed (about half the time of hashing every text). Once a block
        brought no new text, the next is first looked up in the known texts (``index_in``: the
        codes themselves when every text is known, as a criterion column's are)."""
        import pyarrow.compute as pc

        if self.in_runs is None:  # as factorize_runs decides: on the first 4,096 rows
            head = column.slice(0, 4096)
            changes = pc.sum(pc.not_equal(head.slice(1), head.slice(0, len(head) - 1))).as_py() or 0
            self.in_runs = len(head) >= 2 and changes * 4 <= len(head)
        if self.in_runs:
            runs = pc.run_end_encode(column)
            encoded = pc.dictionary_encode(runs.values)
            lengths = np.diff(to_numpy(runs.run_ends), prepend=0)
            self.add(encoded, lengths)
            return
        if self.settled:
            found = pc.index_in(column, value_set=self._known_texts())
            if found.null_count == 0:  # every text known: their positions are the codes
                n = len(found)
                self.codes[self.rows : self.rows + n] = to_numpy(found)
                self.rows += n
                return
        self.add(pc.dictionary_encode(column))

    def add(self, encoded: Any, lengths: np.ndarray | None = None) -> None:
        """A block, dictionary-encoded by pyarrow (``lengths``: each encoded text stands for
        that many rows, a run)."""
        known = self.known
        before = len(known)
        mapping = np.array([known.setdefault(t, len(known)) for t in encoded.dictionary.to_pylist()], dtype=np.int64)
        if len(known) != before:
            self._texts = None
        self.settled = len(known) == before
        self._widen()
        codes = mapping.astype(self.codes.dtype)
        if lengths is None:
            n = len(encoded)
            np.take(codes, to_numpy(encoded.indices), out=self.codes[self.rows : self.rows + n])
        else:
            n = int(lengths.sum())
            self.codes[self.rows : self.rows + n] = np.repeat(codes[to_numpy(encoded.indices)], lengths)
        self.rows += n

    def _known_texts(self) -> Any:
        """The known texts as a pyarrow string array, in code order."""
        if self._texts is None:
            self._texts = to_arrow(list(self.known))
        return self._texts

    def add_empty(self, n: int) -> None:
        """A block of ``n`` empty cells."""
        if "" not in self.known:
            self._texts = None
        code = self.known.setdefault("", len(self.known))
        self._widen()
        if code:  # code 0: the zeroed buffer holds it already
            self.codes[self.rows : self.rows + n] = code
        self.rows += n

    def _widen(self) -> None:
        """The buffer in a type that holds every code so far (the rows read are copied over)."""
        wide = _code_type(len(self.known))
        if np.dtype(wide).itemsize > self.codes.itemsize:
            codes = np.zeros(len(self.codes), dtype=wide)
            codes[: self.rows] = self.codes[: self.rows]
            self.codes = codes

    def texts(self) -> Texts:
        return Texts(self.codes[: self.rows], np.array(list(self.known), dtype=object))


def _code_type(n: int) -> type[np.signedinteger[Any]]:
    """The integer type pandas keeps a Categorical's codes in for ``n`` categories (the smallest
    that holds them), so :meth:`pandas.Categorical.from_codes` takes the codes without a copy
    (:meth:`Table.frame`)."""
    return np.int8 if n < 127 else np.int16 if n < 32767 else np.int32 if n < 2**31 - 1 else np.int64


def read_folder(path: Path) -> UnitData:
    problems: list[Problem] = []
    tables: dict[str, Table] = {}
    missing = []
    for name in TABLES:
        file = path / f"{name}.csv"
        if not file.is_file():
            if name == "evidence":
                tables[name] = empty(name)
                continue
            missing.append(file)
            continue
        columnar = read_csv_columnar(file)
        tables[name] = columnar if columnar is not None else Table.from_frame(read_csv_table(file))
        # the assessment rows as read columnar keep their Categoricals in the frame
        tables[name] = finish(name, tables[name], f"{name}.csv", problems, complete=True, categorical=name == "assessments" and columnar is not None)
    if missing:
        raise InputError(
            [Problem("file_missing", FILE_MISSING.format(what="tệp") + "; thư mục dữ liệu cần units.csv và assessments.csv (evidence.csv tùy chọn)", file=str(f)) for f in missing]
        )
    _require_units(tables["units"], "units.csv", str(path / "units.csv"))
    return UnitData(tables["units"], tables["assessments"], tables["evidence"], str(path), problems, files_root=path, label=read_label(path))


def _require_units(units: Table | pd.DataFrame, where: str, file: str) -> None:
    """A data set without one unit cannot be scored: refuse it instead of an empty ranking."""
    if not len(units):
        raise InputError(
            Problem("units_empty", f"{where} không có đơn vị nào; thêm mỗi đơn vị một dòng: unit,name,kind", file=file, line=2)
        )


def read_label(folder: Path) -> str | None:
    """The data set's label from an optional ``dataset.yaml`` (``label: ...``, ``synthetic: true``).

    Example data says of itself that it is synthetic; every output then carries the label.
    """
    path = folder / "dataset.yaml"
    if not path.is_file():
        return None
    from par_index.common.yaml_strict import load_yaml

    raw, problems = load_yaml(path)
    bad = [k for k in (raw or {}) if k not in ("label", "synthetic")] if isinstance(raw, dict) else ["?"]
    if problems or bad or not isinstance(raw.get("label"), str) or not isinstance(raw.get("synthetic", False), bool):
        raise InputError(
            problems
            or [Problem("dataset_label", "dataset.yaml chỉ có 'label' (văn bản) và 'synthetic' (true/false)", file=str(path))]
        )
    label = str(raw["label"]).strip()
    if raw.get("synthetic") and "giả định" not in label.lower():
        label = f"DỮ LIỆU GIẢ ĐỊNH: {label}"
    return label


def has_sheet(path: Path, sheet: str) -> bool:
    """Is ``path`` an .xlsx/.xlsm workbook (not an Office lock file) with a sheet named ``sheet``?
    Read from the workbook's index alone, without loading it."""
    import zipfile

    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file() or path.name.startswith("~$"):
        return False
    try:
        with zipfile.ZipFile(path) as z:
            if z.getinfo("xl/workbook.xml").file_size > 16 << 20:  # the sheet index: never a bomb inflated to look
                return False
            xml = z.read("xl/workbook.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return False
    return f'name="{sheet}"' in nfc(xml)


def cell_text(v: object) -> str:
    """A spreadsheet cell as text: dates as yyyy-mm-dd, 3.0 as 3, empty as ''."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_workbook(path: Path) -> UnitData:
    """One .xlsx with sheets ``units``, ``assessments`` and optionally ``evidence``."""
    from openpyxl import load_workbook

    from par_index.common.xlsx_guard import check_workbook

    check_workbook(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=False)  # formulas as text: refused by cell, never their cached result
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(Problem("xlsx_unreadable", EXCEL_UNREADABLE.format(error=exc), file=str(path))) from None
    problems: list[Problem] = []
    out: dict[str, Table] = {}
    names = {ws.lower(): ws for ws in wb.sheetnames}
    for name in TABLES:
        if name not in names:
            if name == "evidence":
                out[name] = empty(name)
                continue
            raise InputError(
                Problem("sheet_missing", f"thiếu trang tính '{name}' (cần: units, assessments; evidence tùy chọn)", file=str(path))
            )
        ws = wb[names[name]]
        rows = _sheet_values(ws, f"{path.name}[{names[name]}]", problems)
        if not rows:
            raise InputError(Problem("sheet_empty", f"trang tính '{name}' trống", file=str(path)))
        header = [cell_text(c) for c in rows[0]]
        body = [[cell_text(c) for c in r] for r in rows[1:]]
        lines = [i + 2 for i, r in enumerate(body) if any(c.strip() for c in r)]
        body = [r for r in body if any(c.strip() for c in r)]
        width = len(header)
        cells = np.empty((len(body), width), dtype=object)
        for i, r in enumerate(body):
            cells[i, :] = (r + [""] * width)[:width]
        raw = Table({**{h: cells[:, j].copy() for j, h in enumerate(header)}, "at_line": np.array(lines, dtype=np.int64)})
        out[name] = finish(name, raw, f"{path.name}[{name}]", problems)
    wb.close()
    _require_units(out["units"], "trang tính units", f"{path}[units]")
    return UnitData(out["units"], out["assessments"], out["evidence"], str(path), problems, files_root=path.parent)


def _sheet_values(ws: Any, where: str, problems: list[Problem]) -> list[list[object]]:
    """A data sheet's cell values; a formula cell (``=B2*2``, an external link ``=[1]Sheet1!A1``)
    is reported by cell, with its row's unit and criterion, and read as empty — its cached result
    is never scored as if typed."""
    from openpyxl.utils import get_column_letter

    from par_index.common.xlsx_guard import sheet_rows

    out: list[list[object]] = []
    formulas: list[tuple[int, int, str]] = []
    for r, row in enumerate(sheet_rows(ws, where, values_only=False), start=1):
        values: list[object] = []
        for c, cell in enumerate(row, start=1):
            v = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f" or (isinstance(v, str) and v.startswith("=") and getattr(cell, "data_type", "s") != "s"):
                formulas.append((r, c, str(getattr(v, "text", v))))
                v = None
            values.append(v)
        out.append(values)
    header = [cell_text(v).strip() for v in out[0]] if out else []

    def of_row(r: int, column: str) -> str:
        row = out[r - 1]
        j = header.index(column) if column in header and r > 1 else len(row)
        return cell_text(row[j]).strip() if j < len(row) else ""

    for r, c, text in formulas:
        problems.append(
            Problem(
                "input_formula",
                FORMULA_IN_CELL.format(cell="ô", formula=text, kinds="số, ngày, văn bản") + " — ô này không được đọc",
                file=where, line=r, cell=f"{get_column_letter(c)}{r}", unit=of_row(r, "unit"), criterion=of_row(r, "criterion"),
            )
        )
    return out


def read_tables(path: str | Path) -> UnitData:
    """Read the three tables (units, assessments, evidence) from a folder of CSVs or an .xlsx
    workbook. The other tables and input shapes (appraisal records, survey, self-assessment
    workbooks) are read by :func:`par_index.pipeline.read_data`, which lists every reader."""
    path = Path(path)
    if path.is_dir():
        return read_folder(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        return read_workbook(path)
    if not path.exists():
        raise InputError(Problem("file_missing", FILE_MISSING.format(what="thư mục hay tệp dữ liệu"), file=str(path)))
    raise InputError(
        Problem("data_format", "dữ liệu phải là một thư mục CSV (units.csv, assessments.csv, evidence.csv) hoặc một tệp .xlsx", file=str(path))
    )


def coded(data: UnitData) -> UnitData:
    """Factorize the assessment rows and read each distinct value text once, as part of loading
    (:mod:`par_index.unit_data.value_table`; the engine then works on integer codes)."""
    value_table(data.table("assessments"))
    return data
