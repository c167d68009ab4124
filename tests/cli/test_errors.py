"""The CLI never shows a traceback for a user's mistake and never leaves a partial file.

Every case runs through ``mapkit.cli.app.main()`` in-process and through the installed ``mapkit``
console script in a subprocess. ``.ci/run`` runs this folder again under the lowest typer that
``pyproject.toml`` allows (the main run has the highest), so the click that typer brings (its own
bundled copy from typer 0.26 on, the ``click`` package before) is covered at both ends.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from mapkit.cli.app import app, main
from mapkit.cli.errors import BUG_EXIT, REPORT_LINE, _kind

from mapkit.io import atomic_writer

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("mapkit")
LATIN1 = '{"id": "café", "response": "x"}\n'.encode("latin-1")  # é is byte 0xe9: not UTF-8

USAGE_ERRORS = {
    "bare": [],
    "unknown option": ["generate", "--frobnicate"],
    "unknown command": ["frobnicate"],
    "missing argument": ["city", "show"],
    "not an integer": ["generate", "--n", "abc"],
    "unknown subcommand": ["data", "frob"],
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def script(*argv: str, cwd: Path | None = None) -> tuple[int, str, str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def no_traceback(*texts: str) -> None:
    for t in texts:
        assert "Traceback" not in t, t


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# --- usage errors -----------------------------------------------------------------------------------------


def _check_usage(name: str, code: int, out: str, err: str) -> None:
    assert code == 2, (name, out, err)
    no_traceback(out, err)
    assert "Usage: mapkit" in err, err
    if name != "bare":
        # click's usual message: the usage line, the hint and one "Error:" line
        assert re.search(r"Try 'mapkit[a-z ]*--help' for help", err), err
        assert len([ln for ln in err.splitlines() if ln.startswith("Error:")]) == 1, err


@pytest.mark.parametrize("name", list(USAGE_ERRORS))
def test_usage_errors_through_main(capsys, name):
    code, out, err = run(capsys, *USAGE_ERRORS[name])
    _check_usage(name, code, out, err)


@pytest.mark.parametrize("name", list(USAGE_ERRORS))
def test_usage_errors_through_the_console_script(name):
    code, out, err = script(*USAGE_ERRORS[name])
    _check_usage(name, code, out, err)


def test_usage_messages_name_the_offending_word(capsys):
    assert "--frobnicate" in run(capsys, "generate", "--frobnicate")[2]
    assert "frobnicate" in run(capsys, "frobnicate")[2]
    assert re.search(r"Missing argument '(CITY|city)'", run(capsys, "city", "show")[2])
    assert "'--n'" in run(capsys, "generate", "--n", "abc")[2]


def test_help_and_version_still_exit_0(capsys):
    assert run(capsys, "--help")[0] == 0
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("mapkit ")


def test_click_control_exceptions_are_recognised_whatever_click_typer_brings():
    import typer

    assert _kind(typer.BadParameter("x")) == "click"
    assert _kind(typer.Exit(3)) == "exit"
    assert _kind(typer.Abort()) == "abort"
    assert _kind(ValueError("x")) is None
    try:
        import click
    except ImportError:  # typer >= 0.26 does not need the click package
        return
    assert _kind(click.UsageError("x")) == "click"
    assert _kind(click.exceptions.Exit(0)) == "exit"


def test_a_genuine_bug_shows_the_traceback_and_how_to_report_it(capsys):
    @app.command("_boom", hidden=True)
    def _boom() -> None:
        raise RuntimeError("an internal invariant broke")

    try:
        code, _, err = run(capsys, "_boom")
    finally:
        app.registered_commands.pop()
    assert code == BUG_EXIT
    assert "Traceback" in err and "RuntimeError: an internal invariant broke" in err
    assert REPORT_LINE in err and "typer " in err


# --- bad input files --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def items(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("items") / "items.jsonl"
    assert main(["generate", "--city", "demo", "--types", "TorF1,Counting3", "--n", "3", "--out", str(path)]) == 0
    return path


def _bad_input_cases(items: Path, tmp: Path) -> dict[str, list[str]]:
    bad = tmp / "latin1.jsonl"
    bad.write_bytes(LATIN1)
    return {
        "validate": ["validate", str(bad)],
        "score items": ["score", str(bad), str(items)],
        "score responses": ["score", str(items), str(bad)],
        "export": ["export", str(bad), "--to", "trl", "--out", str(tmp / "exported")],
    }


@pytest.mark.parametrize("case", ["validate", "score items", "score responses", "export"])
def test_non_utf8_input_names_the_file_and_byte(capsys, tmp_path, items, case):
    argv = _bad_input_cases(items, tmp_path)[case]
    if case == "score items":  # responses are read first: give good ones so the items file is reached
        responses = tmp_path / "responses.jsonl"
        responses.write_text(json.dumps({"id": "x", "response": "yes"}) + "\n")
        argv[2] = str(responses)
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    no_traceback(out, err)
    assert f"latin1.jsonl (line 1, byte offset {LATIN1.index(0xE9)}): not UTF-8 text (byte 0xe9)" in err, err
    assert files_in(tmp_path) == sorted(["latin1.jsonl", *(["responses.jsonl"] if case == "score items" else [])])


@pytest.mark.parametrize("case", ["validate", "score responses", "export"])
def test_non_utf8_input_through_the_console_script(tmp_path, items, case):
    code, out, err = script(*_bad_input_cases(items, tmp_path)[case])
    assert code == 2 and f"byte offset {LATIN1.index(0xE9)}" in err, err
    no_traceback(out, err)


def test_non_utf8_city_file(capsys, tmp_path):
    city = tmp_path / "city.yaml"
    data = b"format: mapkit.city/1\ncity: t\nlines:\n  - name: L\n    stations: [A, Caf\xe9]\n"
    city.write_bytes(data)
    code, out, err = run(capsys, "city", "show", str(city))
    assert code == 2 and f"city.yaml (line 5, byte offset {data.index(0xE9)}): not UTF-8 text" in err, err
    no_traceback(out, err)


# --- output paths: checked before any work, nothing partial left --------------------------------------------


@pytest.fixture
def unwritable_dir(tmp_path) -> Path:
    """A folder no file can be created in: read-only for a normal user; /sys for root (which ignores modes)."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    sys_dir = Path("/sys")
    try:
        (sys_dir / ".mapkit-probe").touch()
    except OSError:
        yield sys_dir
        return
    pytest.skip("running as root with no read-only folder to test against")


def _output_cases(items: Path, target: Path) -> dict[str, list[str]]:
    return {
        "generate --out": ["generate", "--city", "demo", "--n", "2", "--out", str(target)],
        "validate --report": ["validate", str(items), "--report", str(target)],
        "score --out": ["score", str(items), str(items.with_name("responses.jsonl")), "--out", str(target)],
    }


@pytest.fixture(scope="module")
def responses(items) -> Path:
    rows = [json.loads(line) for line in items.read_text().splitlines()]
    path = items.with_name("responses.jsonl")
    path.write_text("".join(json.dumps({"id": r["id"], "response": r["answer_text"]}) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("case", ["generate --out", "validate --report", "score --out"])
def test_unwritable_output_fails_before_work(capsys, items, responses, unwritable_dir, case):
    target = unwritable_dir / "out.json"
    code, out, err = run(capsys, *_output_cases(items, target)[case])
    flag = case.split()[1]
    assert code == 2 and f"{flag} {target}: cannot write in {unwritable_dir}" in err, err
    no_traceback(out, err)
    assert not target.exists()
    assert out == ""  # failed before any work: no table printed


@pytest.mark.parametrize("case", ["generate --out", "validate --report", "score --out"])
def test_output_path_that_is_a_folder(capsys, tmp_path, items, responses, case):
    (tmp_path / "keep.txt").write_text("mine")
    code, out, err = run(capsys, *_output_cases(items, tmp_path)[case])
    assert code == 2 and "is a folder; give a file path" in err, err
    no_traceback(out, err)
    assert files_in(tmp_path) == ["keep.txt"] and out == ""


@pytest.mark.parametrize("case", ["generate --out", "validate --report", "score --out"])
def test_output_under_a_file_through_the_console_script(tmp_path, items, responses, case):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, out, err = script(*_output_cases(items, blocker / "sub" / "out.json")[case])
    assert code == 2 and "is a file, so no folder can be made inside it" in err, err
    no_traceback(out, err)
    assert files_in(tmp_path) == ["a-file"]


def test_generate_into_a_folder_through_the_console_script(tmp_path):
    code, out, err = script("generate", "--city", "demo", "--n", "2", "--out", str(tmp_path))
    assert code == 2 and "is a folder" in err
    no_traceback(out, err)
    assert files_in(tmp_path) == []


def test_missing_parent_folders_are_created(capsys, tmp_path):
    target = tmp_path / "new" / "deeper" / "items.jsonl"
    code, _, err = run(capsys, "generate", "--city", "demo", "--types", "Counting3", "--out", str(target))
    assert code == 0, err
    assert target.read_text().count("\n") == 1


def test_render_and_export_out_that_is_a_file(capsys, tmp_path, items):
    blocker = tmp_path / "file.png"
    blocker.write_text("x")
    for argv in (["render", "--city", "demo", "--out", str(blocker)], ["export", str(items), "--to", "trl",
                                                                      "--out", str(blocker)]):  # fmt: skip
        code, out, err = run(capsys, *argv)
        assert code == 2 and "is a file, so mapkit cannot write a folder there" in err, (argv, err)
        no_traceback(out, err)
    assert blocker.read_text() == "x"


def test_an_interrupted_write_leaves_nothing(tmp_path):
    target = tmp_path / "items.jsonl"
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write("half a row")
        raise RuntimeError("interrupted")
    assert files_in(tmp_path) == []


# --- size guards and empty results -------------------------------------------------------------------------


def test_huge_generation_asks_for_yes_and_says_the_estimate(capsys, tmp_path):
    target = tmp_path / "big.jsonl"
    code, out, err = run(capsys, "generate", "--allow-repeats", "--n", "10000000", "--out", str(target))
    assert code == 2, err
    no_traceback(out, err)
    m = re.search(r"would be about ([\d.,]+) GB \(110,000,000 items, ~([\d,]+) bytes each\)", err)
    assert m, err
    assert 50 < float(m.group(1).replace(",", "")) < 500 and "--yes" in err
    assert files_in(tmp_path) == []


def test_the_guard_lets_a_confirmed_run_through(tmp_path):
    from mapkit.errors import OutputTooLargeError
    from mapkit.generate import write_items

    target = tmp_path / "items.jsonl"
    asked = []
    with pytest.raises(OutputTooLargeError, match=r"about [\d.]+ KB \(20 items, .* over the 999 B guard"):
        write_items(target, ["demo"], types=["TorF1"], n_per_type=20, max_bytes=999)
    assert not target.exists()
    s = write_items(target, ["demo"], types=["TorF1"], n_per_type=20, max_bytes=999,
                    confirm=lambda size, n: asked.append((size, n)) or True)  # fmt: skip
    assert s.total == 20 and asked and asked[0][1] == 20
    # the estimate is within 20% of what was written
    assert abs(asked[0][0] - target.stat().st_size) < 0.2 * target.stat().st_size


def test_n_zero_is_an_error_unless_allowed(capsys, tmp_path):
    target = tmp_path / "items.jsonl"
    code, out, err = run(capsys, "generate", "--n", "0", "--out", str(target))
    assert code == 2 and "nothing to generate" in err and "--allow-empty" in err, err
    no_traceback(out, err)
    assert not target.exists()
    code, _, err = run(capsys, "generate", "--n", "0", "--out", str(target), "--allow-empty")
    assert code == 0, err
    assert target.read_text() == ""


def test_score_with_no_matching_id_is_an_error_unless_allowed(capsys, tmp_path, items):
    responses = tmp_path / "r.jsonl"
    responses.write_text(json.dumps({"id": "someone-else:1", "response": "yes"}) + "\n")
    breakdown = tmp_path / "b.jsonl"
    code, out, err = run(capsys, "score", str(items), str(responses), "--out", str(breakdown))
    assert code == 2 and "none of the 1 response ids matches" in err and "'someone-else:1'" in err, err
    no_traceback(out, err)
    assert not breakdown.exists()
    code, out, err = run(capsys, "score", str(items), str(responses), "--allow-no-match")
    assert code == 0 and "0.00%" in out, err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _, err = run(capsys, "score", str(items), str(empty))
    assert code == 2 and "has no responses" in err


# --- city names ---------------------------------------------------------------------------------------------

BAD_NAMES = {
    "blank": ("  ", "is empty"),
    "newline": ("Upper\nLower", "spans several lines"),
    "boxed": ("Final \\boxed{A}", "backslash"),
    "brace": ("Br}ace", "'}'"),
    "none": ("None", "'no stops'"),
    "control": ("Tab\there", "control character U+0009"),
    "route field": ("Arrival Stop: Here", "field of a route answer"),
}


def _city_file(folder: Path, station: str, suffix: str = ".json") -> Path:
    doc = {"format": "mapkit.city/1", "city": "odd", "lines": [{"name": "L1", "stations": ["North", station, "South"]}]}
    path = folder / f"odd{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(doc))
    else:
        import yaml

        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_bad_city_names_are_refused_with_their_place(capsys, tmp_path, case):
    name, why = BAD_NAMES[case]
    city = _city_file(tmp_path, name)
    out_file = tmp_path / "items.jsonl"
    code, out, err = run(capsys, "generate", "--city", str(city), "--out", str(out_file))
    assert code == 2, err
    no_traceback(out, err)
    assert f"odd.json ($.lines[0].stations[1]): the station name {name!r}" in err and why in err, err
    assert not out_file.exists()


def test_bad_city_name_through_the_console_script(tmp_path):
    city = _city_file(tmp_path, "A\nB", suffix=".yaml")
    code, out, err = script("city", "show", str(city))
    assert code == 2 and "spans several lines" in err and "odd.yaml" in err, err
    no_traceback(out, err)


# --- the typer range ----------------------------------------------------------------------------------------


def test_typer_range_is_bounded_and_ci_tests_its_lowest_version():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    (typer_req,) = [d for d in deps if d.startswith("typer")]
    m = re.fullmatch(r"typer>=([\d.]+),<([\d.]+)", typer_req)
    assert m, f"typer must have a lower and an upper bound, not {typer_req!r}"
    ci = (REPO / ".ci" / "run").read_text()
    assert f"typer=={m.group(1)}" in ci, "the lowest allowed typer must be the one .ci/run tests"


# --- messages -----------------------------------------------------------------------------------------------


def test_unknown_city_says_how_to_list_cities(capsys, tmp_path):
    code, out, err = run(capsys, "city", "show", "qqqq", "--data-dir", str(tmp_path))
    assert code == 2 and "Unknown city 'qqqq'." in err and "Run `mapkit cities`" in err and "demo" in err
    code, _, err = run(capsys, "city", "show", "beijng", "--data-dir", str(tmp_path))
    assert "Did you mean: beijing?" in err
    code, _, err = run(capsys, "city", "show", "beijing.json")
    assert code == 2 and "beijing.json: cannot read: file not found." in err, err


def test_json_errors_are_whole_sentences(capsys, tmp_path, items):
    responses = tmp_path / "r.jsonl"
    responses.write_text('{"id": "x", "response": "unterminated}\n')
    code, out, err = run(capsys, "score", str(items), str(responses))
    assert code == 2 and "invalid JSON: Unterminated string starting at column 25." in err, err
    no_traceback(out, err)


def test_every_docs_path_named_in_the_code_exists():
    named = set()
    for folder in ("mapkit", "cli"):
        for path in (REPO / folder).rglob("*.py"):
            named |= set(re.findall(r"\bdocs/[\w./-]+\.md\b", path.read_text(encoding="utf-8")))
    assert named, "the code names some docs"
    assert sorted(p for p in named if not (REPO / p).is_file()) == []


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
def test_non_utf8_reasonmap_plus_files(capsys, tmp_path, suffix):
    bad = tmp_path / f"plus{suffix}"
    data = b"city,question\nz\xfcrich,q\n" if suffix == ".csv" else b'[{"city": "z\xfcrich"}]'
    bad.write_bytes(data)
    code, out, err = run(capsys, "validate", str(bad), "--format", "reasonmap-plus")
    assert code == 2 and f"byte offset {data.index(0xFC)}): not UTF-8 text (byte 0xfc)" in err, err
    no_traceback(out, err)


@pytest.mark.parametrize("command", ["generate", "render"])
def test_non_utf8_city_file_for_generate_and_render(capsys, tmp_path, command):
    city = tmp_path / "c.json"
    data = b'{"format": "mapkit.city/1", "city": "Z\xfcrich", "lines": []}'
    city.write_bytes(data)
    out_arg = str(tmp_path / ("items.jsonl" if command == "generate" else "maps"))
    code, out, err = run(capsys, command, "--city", str(city), "--out", out_arg)
    assert code == 2 and f"c.json (line 1, byte offset {data.index(0xFC)}): not UTF-8 text" in err, err
    no_traceback(out, err)
    assert files_in(tmp_path) == ["c.json"]


def test_data_pull_checks_its_destination_before_downloading(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, out, err = run(capsys, "data", "pull", "--dest", str(blocker), "--from", str(tmp_path / "mirror"), "-q")
    assert code == 2 and f"--dest {blocker}: is a file" in err, err
    no_traceback(out, err)
    assert blocker.read_text() == "x"
