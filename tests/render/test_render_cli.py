"""`mapkit render` through the real entry point."""

from __future__ import annotations

from mapkit.cli.app import main

from mapkit.render import load_manifest


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_render_demo_writes_png_manifest_and_svg(capsys, tmp_path):
    code, out, err = run(capsys, "render", "--city", "demo", "--out", str(tmp_path), "--svg", "--style-seed", "2")
    assert code == 0, err
    assert "legibility gate: passed" in out and "label overlaps" in out
    pngs = list(tmp_path.glob("*.png"))
    assert len(pngs) == 1 and pngs[0].with_suffix(".svg").exists()
    m = load_manifest(pngs[0].with_suffix(".json"))
    assert m["settings"]["style_seed"] == 2 and m["gate"]["passed"]


def test_render_too_small_prints_figures_and_fails(capsys, tmp_path):
    code, out, err = run(capsys, "render", "--city", "demo", "--out", str(tmp_path), "--width", "200",
                         "--height", "200")
    assert code == 1
    assert "legibility gate: FAILED" in out and "label overlaps" in out
    assert "error:" in err and "--force" in err
    assert not list(tmp_path.iterdir())


def test_render_forced_writes_but_exits_non_zero(capsys, tmp_path):
    code, out, _ = run(capsys, "render", "--city", "demo", "--out", str(tmp_path), "--width", "200",
                       "--height", "200", "--force")
    assert code == 1
    assert "wrote" in out and "FAILED (written anyway" in out and len(list(tmp_path.glob("*.png"))) == 1


def test_render_reasonmap_city(capsys, tmp_path, reasonmap_dir):
    code, out, err = run(capsys, "render", "--city", "sydney", "--out", str(tmp_path), "--data-dir",
                         str(reasonmap_dir))
    assert code == 0, err
    assert (tmp_path / "sydney.png").exists() and (tmp_path / "sydney.json").exists()


def test_render_unknown_city_is_a_user_error(capsys, tmp_path, reasonmap_dir):
    code, _, err = run(capsys, "render", "--city", "atlantis", "--out", str(tmp_path), "--data-dir",
                       str(reasonmap_dir))
    assert code == 2 and "Unknown city" in err


def test_render_out_is_a_file_fails_cleanly(capsys, tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    code, out, err = run(capsys, "render", "--city", "demo", "--out", str(target))
    assert code != 0
    assert "Traceback" not in err and "Traceback" not in out
    assert "cannot write" in err and str(target) in err
    assert target.read_text() == "not a folder"
