"""`mapkit export` and `mapkit publish` through the real entry point: summaries, dry runs, refusals.

Nothing here reaches the network: the Hub client is replaced by a recorder (or a tripwire), and
socket connections fail loudly.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from mapkit.cli.app import main

from mapkit.errors import PublishError
from mapkit.export import export_items
from mapkit.export.publish import publish

from .helpers import canonical, png, write_items

SECRET = "hf_thisIsNotARealTokenButMustNeverBePrinted"


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*a: Any, **k: Any) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    import huggingface_hub

    class Tripwire:
        def __init__(self, *a: Any, **k: Any) -> None:
            raise AssertionError("HfApi was created")

    monkeypatch.setattr(huggingface_hub, "HfApi", Tripwire)


@pytest.fixture(scope="module")
def hf_folder(toy_session: dict) -> Path:
    out = toy_session["tmp"] / "hf-publish"
    export_items(toy_session["items"], to="hf", out=out, images=toy_session["images"])
    return out


def test_export_cli_summary_and_json(capsys: pytest.CaptureFixture, toy_export: dict) -> None:
    tmp, imgs = toy_export["tmp"], toy_export["images"]
    code, out, err = run(capsys, "export", str(toy_export["items"]), "--to", "hf", "--out", str(tmp / "hf"),
                         "--maps-dir", str(imgs["toyville"].parent))  # fmt: skip
    assert code == 0, err
    for needle in ("mapkit export --to hf", "36 written of 36", "train 18, test 18", "2 given", "size ratio",
                   "no map or station pair is shared"):  # fmt: skip
        assert needle in out
    code, out, _ = run(capsys, "export", str(toy_export["items"]), "--to", "easyr1", "--out", str(tmp / "e"),
                       "--image", f"toyville={imgs['toyville']}", "--image", f"toytown={imgs['toytown']}", "--json")
    assert code == 0 and json.loads(out)["items_written"] == 36


def test_export_cli_refuses_leakage_with_nonzero_exit(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    a, b = canonical("toyville", "nowhere", "TorF1", 0), canonical("toyville", "nowhere", "TorF1", 1)
    a["mapkit"]["split"], b["mapkit"]["split"] = "train", "test"
    items = write_items(tmp_path / "items.jsonl", [a, b])
    img = png(tmp_path / "t.png")
    code, _, err = run(capsys, "export", str(items), "--to", "verl", "--out", str(tmp_path / "o"),
                       "--image", f"toyville={img}")  # fmt: skip
    assert code != 0 and "leakage" in err and "--allow-leakage" in err
    assert not (tmp_path / "o").exists()
    code, _, _ = run(capsys, "export", str(items), "--to", "verl", "--out", str(tmp_path / "o"),
                     "--image", f"toyville={img}", "--allow-leakage")  # fmt: skip
    assert code == 0 and (tmp_path / "o" / "test.parquet").is_file()


def test_export_cli_rejects_bad_flags(capsys: pytest.CaptureFixture, toy_export: dict) -> None:
    items, out = str(toy_export["items"]), str(toy_export["tmp"] / "x")
    assert run(capsys, "export", items, "--to", "csv", "--out", out)[0] == 2
    code, _, err = run(capsys, "export", items, "--to", "hf", "--out", out, "--image", "toyville")
    assert code == 2 and "CITY=PATH.PNG" in err
    code, _, err = run(capsys, "export", items, "--to", "hf", "--out", out, "--image-root", "/x")
    assert code == 2 and "verl only" in err


def test_publish_dry_run_lists_everything_and_touches_no_network(
    capsys: pytest.CaptureFixture, hf_folder: Path, no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    code, out, err = run(capsys, "publish", str(hf_folder), "--repo-id", "my-org/mapkit-toy", "--revision", "v1",
                         "--private", "--dry-run")  # fmt: skip
    assert code == 0, err
    assert "DRY RUN" in out and "datasets/my-org/mapkit-toy (private)" in out and "revision: v1" in out
    assert "token: HF_TOKEN" in out and SECRET not in out + err
    files = sorted(p.relative_to(hf_folder).as_posix() for p in hf_folder.rglob("*") if p.is_file())
    for f in files:
        assert f in out
    code, out, _ = run(capsys, "publish", str(hf_folder), "--repo-id", "my-org/mapkit-toy", "--dry-run", "--json")
    plan = json.loads(out)
    assert [f["path"] for f in plan["files"]] == files and plan["revision"] == "main"
    assert plan["total_bytes"] == sum((hf_folder / f).stat().st_size for f in files)
    assert plan["method"] == "upload_folder" and plan["dry_run"] is True


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_publish_refuses_folders_that_would_not_work(hf_folder: Path, tmp_path: Path, no_network: None) -> None:
    with pytest.raises(PublishError, match="README.md is missing"):
        publish(tmp_path, repo_id="org/name", dry_run=True)
    bad = _copy(hf_folder, tmp_path / "nolicense")
    readme = bad / "README.md"
    readme.write_text(readme.read_text().replace("license: mit\n", ""))
    with pytest.raises(PublishError, match="metadata `license` is missing"):
        publish(bad, repo_id="org/name", dry_run=True)
    gone = _copy(hf_folder, tmp_path / "gone")
    next((gone / "data" / "TorF1").glob("test-*.parquet")).unlink()
    with pytest.raises(PublishError, match="TorF1/test-.*matches nothing"):
        publish(gone, repo_id="org/name", dry_run=True)
    broken = _copy(hf_folder, tmp_path / "broken")
    next((broken / "data" / "TorF2").glob("train-*.parquet")).write_bytes(b"not parquet at all")
    with pytest.raises(PublishError, match=r"does not load with `datasets`: data/TorF2/train-.* not a readable"):
        publish(broken, repo_id="org/name", dry_run=True)
    with pytest.raises(PublishError, match="Invalid repo id"):
        publish(hf_folder, repo_id="not a repo id!", dry_run=True)
    with pytest.raises(PublishError, match="ORG/NAME"):
        publish(hf_folder, repo_id="justname", dry_run=True)


class FakeApi:
    """Records the calls a real upload makes; ``fail`` raises an error that quotes the token."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.fail = fail

    def create_repo(self, repo_id: str, **kw: Any) -> None:
        self.calls.append(("create_repo", {"repo_id": repo_id, **kw}))

    def create_branch(self, repo_id: str, **kw: Any) -> None:
        self.calls.append(("create_branch", {"repo_id": repo_id, **kw}))

    def upload_folder(self, **kw: Any) -> Any:
        if self.fail:
            raise RuntimeError(f"401 Unauthorized: invalid token {SECRET}")
        self.calls.append(("upload_folder", kw))
        return type("Info", (), {"commit_url": "https://hub.example/commit/1"})()


def test_publish_upload_calls_and_token_hygiene(hf_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    api = FakeApi()
    plan = publish(hf_folder, repo_id="org/name", private=True, revision="v2", api=api)
    assert [c[0] for c in api.calls] == ["create_repo", "create_branch", "upload_folder"]
    assert api.calls[0][1] == {"repo_id": "org/name", "repo_type": "dataset", "private": True, "exist_ok": True}
    assert api.calls[1][1]["branch"] == "v2"
    up = api.calls[2][1]
    assert up["folder_path"] == str(hf_folder) and up["repo_type"] == "dataset" and up["revision"] == "v2"
    assert plan.commit_url == "https://hub.example/commit/1" and not plan.dry_run
    assert SECRET not in json.dumps(plan.to_dict())
    with pytest.raises(PublishError) as err:
        publish(hf_folder, repo_id="org/name", api=FakeApi(fail=True))
    assert SECRET not in str(err.value) and "***" in str(err.value)


def test_publish_puts_the_repo_id_in_the_quick_start(
    toy_session: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    """The card loads the export folder until it is published; then the repo it is published to. A later
    re-export into the folder still knows the rewritten card as mapkit's (nothing refused, nothing kept)."""
    out = tmp_path / "hf"
    export_items(toy_session["items"], to="hf", out=out, images=toy_session["images"])
    card = (out / "README.md").read_text()
    assert f'load_dataset("{out}")' in card and "<this repo or folder>" not in card
    plan = publish(out, repo_id="my-org/toy", dry_run=True)
    assert any("publishing rewrites it to 'my-org/toy'" in n for n in plan.notes)
    assert (out / "README.md").read_text() == card  # a dry run changes nothing
    monkeypatch.setenv("HF_TOKEN", SECRET)
    publish(out, repo_id="my-org/toy", api=FakeApi())
    card = (out / "README.md").read_text()
    assert 'load_dataset("my-org/toy")' in card and 'load_dataset("my-org/toy", "maps", split="train")' in card
    assert str(out) not in card.split("## Layout")[0]
    report = export_items(toy_session["items"], to="hf", out=out, images=toy_session["images"])
    assert not [n for n in report.notes if n.startswith("kept")]  # the rewritten README is still mapkit's
    assert f'load_dataset("{out}")' in (out / "README.md").read_text()
    # exported with --repo-id, the card names the repo from the start
    export_items(toy_session["items"], to="hf", out=tmp_path / "named", images=toy_session["images"],
                 repo_id="my-org/named")  # fmt: skip
    assert 'load_dataset("my-org/named")' in (tmp_path / "named" / "README.md").read_text()


def test_publish_without_token_says_how_to_log_in(hf_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    with pytest.raises(PublishError, match="HF_TOKEN or run `hf auth login`"):
        publish(hf_folder, repo_id="org/name", api=FakeApi())


def test_trl_folder_passes_the_publish_checks(toy_session: dict, no_network: None) -> None:
    out = toy_session["tmp"] / "trl-publish"
    export_items(toy_session["items"], to="trl", out=out, images=toy_session["images"])
    plan = publish(out, repo_id="org/mapkit-trl", dry_run=True)
    assert "README.md" in dict(plan.files) and plan.dry_run


def test_publish_plan_is_what_the_upload_sends(
    tmp_path: Path, hf_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dry-run list and the Hub's own filtering of the upload agree, nested .git/.cache included."""
    from huggingface_hub.utils import filter_repo_objects

    from mapkit.export.publish import IGNORE_PATTERNS, list_files

    for rel in ("README.md", "data/a.parquet", ".git/HEAD", ".cache/huggingface/x", "data/.git/y",
                "data/maps/.cache/z", "data/.gitattributes", "notes.cache"):  # fmt: skip
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    every = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    uploaded = sorted(filter_repo_objects(every, ignore_patterns=list(IGNORE_PATTERNS)))
    assert [f for f, _ in list_files(tmp_path)] == uploaded
    assert uploaded == ["README.md", "data/.gitattributes", "data/a.parquet", "notes.cache"]
    # and both upload calls get that rule
    monkeypatch.setenv("HF_TOKEN", SECRET)
    api = FakeApi()
    publish(hf_folder, repo_id="org/name", api=api)
    assert api.calls[-1][1]["ignore_patterns"] == list(IGNORE_PATTERNS)
