"""`mapkit cities`, `mapkit city show`, `mapkit curate check` through the real entry point."""

from __future__ import annotations

import json

from mapkit.cli.app import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cities_table_lists_all_thirty_with_difficulty(capsys, reasonmap_dir):
    code, out, _ = run(capsys, "cities", "--data-dir", str(reasonmap_dir))
    assert code == 0
    for city in ("beijing", "singapore", "auckland", "new_york", "oslo"):
        assert city in out
    assert out.count("hard") >= 10 and "no data" not in out


def test_cities_without_data_says_what_to_run(capsys, tmp_path):
    code, out, _ = run(capsys, "cities", "--data-dir", str(tmp_path))
    assert code == 0
    assert "no data" in out and "mapkit data pull" in out


def test_city_show_prints_services_and_summary(capsys, reasonmap_dir):
    code, out, _ = run(capsys, "city", "show", "beijing", "--data-dir", str(reasonmap_dir), "--line", "Line 2")
    assert code == 0
    assert "loop" in out and "(back to start)" in out and "hard" in out


def test_city_show_json_round_trips(capsys, toy, tmp_path):
    from mapkit.sources.native import save_city_file

    path = tmp_path / "toy.json"
    save_city_file(toy, path)
    code, out, _ = run(capsys, "city", "show", str(path), "--json")
    assert code == 0
    assert json.loads(out)["lines"][1]["branches"][0]["loop"] is True


def test_unknown_city_suggests_and_exits_non_zero_without_traceback(capsys, reasonmap_dir):
    code, out, err = run(capsys, "city", "show", "singapur", "--data-dir", str(reasonmap_dir))
    assert code == 2
    assert "Unknown city 'singapur'" in err and "singapore" in err
    assert "Traceback" not in err + out


def test_curate_check_reports_findings_table(capsys, reasonmap_dir):
    code, out, _ = run(capsys, "curate", "check", "--city", "washington", "--data-dir", str(reasonmap_dir))
    assert code == 0
    assert "curate check: washington" in out


def test_exit_codes_of_commands_reach_the_shell():
    import typer
    from mapkit.cli.app import app

    @app.command("_exit3", hidden=True)
    def _exit3() -> None:
        raise typer.Exit(3)

    try:
        assert main(["_exit3"]) == 3
    finally:
        app.registered_commands.pop()
