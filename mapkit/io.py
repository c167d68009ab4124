"""File I/O that never leaves a half-written file: atomic writes and streamed JSONL.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "items.jsonl"
    >>> write_jsonl(p, [{"a": 1}, {"b": "é"}])
    2
    >>> list(read_jsonl(p))
    [{'a': 1}, {'b': 'é'}]
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import yaml

from mapkit.errors import DataFileError, OutputPathError

try:  # the fast encoder; the stdlib one gives the same bytes (checked line by line where they could differ)
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; a platform without its wheel still works
    orjson = None  # type: ignore[assignment]


def dumps_canonical(obj: Any) -> str:
    """Compact JSON with a fixed key order per object (as built) and real Unicode: stable bytes."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def plain_fields(obj: Any, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """A dataclass's fields (less ``skip``) as JSON-ready values, in field order: mappings (Counter,
    defaultdict, nested ones too) become plain dicts sorted by key, so equal reports give equal bytes;
    lists, tuples and sets become lists.

    Example:
        >>> from collections import Counter
        >>> from dataclasses import dataclass, field
        >>> @dataclass
        ... class Report:
        ...     name: str
        ...     seen: Counter = field(default_factory=Counter)
        ...     ids: tuple = ()
        >>> plain_fields(Report("x", Counter(b=2, a=1), ("k",)))
        {'name': 'x', 'seen': {'a': 1, 'b': 2}, 'ids': ['k']}
    """

    def plain(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: plain(x) for k, x in sorted(v.items())}
        if isinstance(v, (list, tuple, set, frozenset)):
            return [plain(x) for x in (sorted(v) if isinstance(v, (set, frozenset)) else v)]
        return v

    dropped = set(skip)
    return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in dropped}


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], mode: str = "w", *, buffering: int = -1) -> Iterator[IO[Any]]:
    """Open a temp file beside ``path``; rename it over ``path`` only if the block succeeds (``buffering``:
    as for :func:`open`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, mode, buffering, **kwargs) as fh:
            yield fh
        # mkstemp creates 0600; give the file the permissions a plain open() would have
        os.chmod(tmp, _default_mode(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def file_sha256(path: str | os.PathLike[str], *, prefix: str = "sha256:") -> str:
    """``"sha256:<hex>"`` of a file's bytes, read in chunks (``prefix=""``: the bare hex digest).

    The prefixed form is the one ``graph_hash`` and ``gold.map`` use; the checksum manifest of
    ``mapkit data pull`` stores bare hex.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"")
    >>> file_sha256(p)[:19]
    'sha256:e3b0c44298fc'
    >>> file_sha256(p, prefix="")[:12]
    'e3b0c44298fc'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return prefix + h.hexdigest()


def _default_mode(target: Path) -> int:
    try:
        return os.stat(target).st_mode & 0o7777  # keep the mode of the file being replaced
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_writer(path) as fh:
        fh.write(text)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_writer(path, "wb") as fh:
        fh.write(data)


def write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> None:
    """Write ``obj`` as UTF-8 JSON atomically (trailing newline)."""
    write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
""":func:`dumps_canonical`'s encoder, built once (``json.dumps`` with options builds one per call)."""

_SMALL_DECIMAL = re.compile(rb"0\.0000")
_SHORT_EXPONENT = re.compile(rb"e-[0-9](?![0-9])(?<=[0-9]e-[0-9])")  # literal prefix first: a fast scan


def _orjson_may_differ(data: bytes) -> bool:
    """Where orjson's bytes can differ from the stdlib's: floats in [1e-7, 1e-4) (orjson ``0.00005``,
    stdlib ``5e-05``) and one-digit negative exponents (``1e-7`` / ``1e-07``). Text that merely looks
    so (a name such as ``Rue 8e-9``) costs a re-encode, never a wrong byte.

    >>> _orjson_may_differ(b'{"a":0.00005}'), _orjson_may_differ(b'{"a":1e-7}'), _orjson_may_differ(b'{"a":"e-x"}')
    (True, True, False)
    """
    return _SMALL_DECIMAL.search(data) is not None or _SHORT_EXPONENT.search(data) is not None


_APPEND_NEWLINE = orjson.OPT_APPEND_NEWLINE if orjson is not None else 0


def _stdlib_line(row: Any) -> bytes:
    return (_ENCODER.encode(row) + "\n").encode()


def dumps_lines(rows: list[Any]) -> bytes:
    r"""The JSONL bytes of ``rows``: each row as :func:`dumps_canonical` UTF-8 and a newline.

    orjson when installed (about 3x faster), byte for byte what the stdlib writes: rows orjson cannot
    encode (an int beyond 64 bits, a non-string key) and lines whose float spelling could differ fall
    back to the stdlib encoder. (Not-a-number floats, which no item holds and JSON has no spelling
    for, come out as ``null`` instead of ``NaN``.)

    >>> dumps_lines([{"a": 5e-05, "b": "é"}, {"c": [1, 2.5]}]).decode()
    '{"a":5e-05,"b":"é"}\n{"c":[1,2.5]}\n'
    """
    if not rows:
        return b""
    if orjson is not None:
        dumps, opt = orjson.dumps, _APPEND_NEWLINE
        try:
            parts = [dumps(r, option=opt) for r in rows]
        except TypeError:  # orjson.JSONEncodeError: big int, non-str key, ...: the stdlib decides
            return b"".join([_stdlib_line(r) for r in rows])
        out = b"".join(parts)
        if not _orjson_may_differ(out):  # one scan of the joined lines: nearly always the answer
            return out
        return b"".join([_stdlib_line(r) if _orjson_may_differ(b) else b for r, b in zip(rows, parts)])
    return b"".join([_stdlib_line(r) for r in rows])


WRITE_BUFFER = 1 << 20
"""Bytes :func:`write_jsonl`'s file buffers between system calls."""


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]], *, batch: int = 32) -> int:
    """Stream ``rows`` to ``path`` as JSONL atomically (one :func:`dumps_canonical` line each, encoded by
    :func:`dumps_lines` ``batch`` lines at a time: the generation hot path); returns the number written.

    Batches stay small on purpose: a 512-line batch (half a megabyte, joined) was handed back to the
    system by the allocator after each write and faulted in again - 2 page faults and 5-7 us of system
    time an item, a quarter of the cheapest families' time. 32 lines (~30 KB) are reused from the heap.
    """
    n = 0
    with atomic_writer(path, "wb", buffering=WRITE_BUFFER) as fh:
        write = fh.write
        buf: list[dict[str, Any]] = []
        for row in rows:
            buf.append(row)
            if len(buf) >= batch:
                write(dumps_lines(buf))
                n += len(buf)
                buf.clear()
        if buf:
            write(dumps_lines(buf))
            n += len(buf)
    return n


def json_error_message(err: json.JSONDecodeError) -> str:
    """``err.msg`` made a sentence: some messages end in "... starting at" and need their place.

    >>> try:
    ...     json.loads('{"a": "b')
    ... except json.JSONDecodeError as e:
    ...     json_error_message(e)
    'Unterminated string starting at column 7'
    """
    msg = err.msg
    if msg.endswith(" at"):
        msg += f" column {err.colno}" if err.lineno == 1 else f" line {err.lineno}, column {err.colno}"
    return msg


def _without_newline(line: str, err: json.JSONDecodeError) -> json.JSONDecodeError:
    """The error of ``line`` without its line break: an unclosed string then says so, not "control character"."""
    try:
        json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as e:
        return e
    except (RecursionError, ValueError):
        pass
    return err


def utf8_error(path: str | os.PathLike[str]) -> DataFileError:
    """The error for a file that is not valid UTF-8: the byte offset, line and the bad byte.

    Called after a decode failed; re-reads the file in binary to find the first bad byte.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "items.jsonl"
    >>> _ = p.write_bytes(b'{"a": 1}\\n{"b": "caf\\xe9"}\\n')
    >>> e = utf8_error(p)
    >>> e.location, e.message.split(": ", 1)[1]
    ('line 2, byte offset 19', 'not UTF-8 text (byte 0xe9).')
    """
    p = Path(path)
    offset, line, bad = 0, 1, b""  # offset: bytes before the current chunk
    decoder = codecs.getincrementaldecoder("utf-8")()
    with p.open("rb") as fh:
        chunks = iter(lambda: fh.read(1 << 20), b"")
        for chunk in itertools.chain(chunks, [b""]):
            # the decoder keeps an incomplete trailing sequence and decodes it with the next chunk
            # (e.object = kept bytes + chunk, e.start counts from there)
            kept = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                bad = e.object[e.start : e.start + 1]
                line += e.object[: e.start].count(b"\n")
                offset += e.start - kept
                break
            line += chunk.count(b"\n")
            offset += len(chunk)
    shown = f" (byte 0x{bad.hex()})" if bad else ""
    return DataFileError(
        f"not UTF-8 text{shown}.", path=p, location=f"line {line}, byte offset {offset}",
        hint="Save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 FILE > FIXED`).",
    )


def _read_error(p: Path, err: OSError) -> DataFileError:
    if isinstance(err, FileNotFoundError):
        return DataFileError("cannot read: file not found.", path=p)
    if isinstance(err, IsADirectoryError):
        return DataFileError("cannot read: it is a folder, not a file.", path=p)
    return DataFileError(f"cannot read: {err.strerror or err}.", path=p)


def read_text(path: str | os.PathLike[str]) -> str:
    """The whole UTF-8 text of ``path``; a missing file, a folder or bad bytes raise :class:`DataFileError`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"\\xff")
    >>> read_text(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapkit.errors.DataFileError: .../x.txt (line 1, byte offset 0): not UTF-8 text (byte 0xff). ...
    """
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise utf8_error(p) from None
    except OSError as err:
        raise _read_error(p, err) from None


def iter_lines(path: str | os.PathLike[str], *, newline: str | None = None) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of a UTF-8 text file, streamed; errors name the file (and the bad byte).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_text("a\\nb\\n")
    >>> list(iter_lines(p))
    [(1, 'a\\n'), (2, 'b\\n')]
    """
    p = Path(path)
    try:
        fh = p.open(encoding="utf-8", newline=newline)
    except OSError as err:
        raise _read_error(p, err) from None
    with fh:
        try:
            yield from enumerate(fh, 1)
        except UnicodeDecodeError:
            raise utf8_error(p) from None
        except OSError as err:  # e.g. a folder opened fine but cannot be read
            raise _read_error(p, err) from None


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield each JSON object of a JSONL file; a bad line raises :class:`DataFileError` naming it."""
    p = Path(path)
    for lineno, line in iter_lines(p):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            err = _without_newline(line, err)
            raise DataFileError(
                f"invalid JSON: {json_error_message(err)}.", path=p, location=f"line {lineno}, column {err.colno}"
            ) from None
        except (RecursionError, ValueError) as err:
            raise _unparsable(p, "JSON", err) from None
        if not isinstance(obj, dict):
            raise DataFileError("each line must be a JSON object.", path=p, location=f"line {lineno}")
        yield obj


# --- output paths ---------------------------------------------------------------------------------


def _probe_writable(folder: Path, flag: str, target: Path) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=".mapkit-probe-", dir=folder)
    except OSError as err:
        raise OutputPathError(
            f"{flag} {target}: cannot write in {folder} ({err.strerror or err}).",
            hint="Choose a folder you can write to.",
        ) from None
    os.close(fd)
    os.unlink(tmp)


def _nearest_existing(p: Path) -> Path:
    cur = p
    while not cur.exists() and cur != cur.parent:
        cur = cur.parent
    return cur


def check_output_file(path: str | os.PathLike[str], *, flag: str = "--out") -> Path:
    """Fail now, before any work, if ``path`` cannot be written as a file; returns it as a Path.

    Missing parent folders are fine (they are created when the file is written) as long as they can
    be: the nearest existing ancestor must be a writable folder. An existing file is replaced.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_file(d / "new" / "items.jsonl") == d / "new" / "items.jsonl"
    True
    >>> check_output_file(d)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapkit.errors.OutputPathError: --out ...: is a folder; give a file path ...
    """
    p = Path(path)
    if p.is_dir():
        raise OutputPathError(
            f"{flag} {p}: is a folder; give a file path (for example {p / 'items.jsonl'}).",
        )
    _check_parents(p, flag)
    return p


def check_output_dir(path: str | os.PathLike[str], *, flag: str = "--out") -> Path:
    """Fail now if ``path`` cannot be used as an output folder (it is a file, or cannot be created/written).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "f").write_text("")
    >>> check_output_dir(d / "f")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapkit.errors.OutputPathError: --out ...: is a file, so mapkit cannot write a folder there; give a folder path.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"{flag} {p}: is a file, so mapkit cannot write a folder there; give a folder path.")
    if p.is_dir():
        _probe_writable(p, flag, p)
    else:
        _check_parents(p, flag)
    return p


def _check_parents(p: Path, flag: str) -> None:
    parent = p.parent if str(p.parent) else Path(".")
    anc = _nearest_existing(parent.absolute())
    if not anc.is_dir():
        raise OutputPathError(f"{flag} {p}: {anc} is a file, so no folder can be made inside it.")
    _probe_writable(anc, flag, p)


def load_document(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON or YAML file (by suffix); errors name the file, line and column."""
    p = Path(path)
    text = read_text(p)
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            # the pure-Python loader on purpose: libyaml's CSafeLoader is ~6x faster but overflows the
            # C stack (segfault) on deeply nested input instead of raising RecursionError
            doc = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            loc = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise DataFileError(f"invalid YAML: {problem}.", path=p, location=loc) from None
        except (RecursionError, ValueError) as err:
            raise _unparsable(p, "YAML", err) from None
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataFileError(
                f"invalid JSON: {json_error_message(err)}.", path=p,
                location=f"line {err.lineno}, column {err.colno}",
            ) from None
        except (RecursionError, ValueError) as err:
            raise _unparsable(p, "JSON", err) from None
    if "\\u" in text or "\\U" in text:
        _check_no_lone_surrogates(doc, p)
    return doc


def _unparsable(p: Path, kind: str, err: BaseException) -> DataFileError:
    # the parsers raise these for hostile input: nesting deeper than the stack, or an integer
    # literal longer than Python converts (sys.get_int_max_str_digits)
    why = "it is nested too deeply" if isinstance(err, RecursionError) else str(err).split(";")[0]
    return DataFileError(f"cannot parse the {kind}: {why}.", path=p)


def _check_no_lone_surrogates(doc: Any, p: Path) -> None:
    """A ``\\ud800`` escape parses to a string that cannot be written back as UTF-8: refuse it now."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise DataFileError(
                    f"the text {node!r} contains an unpaired surrogate escape (\\ud800-\\udfff).", path=p,
                    hint="Escape characters outside the BMP as a surrogate pair, or write them as UTF-8.",
                ) from None
