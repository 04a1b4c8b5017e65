"""The dataset scan lists and skips bad files and reports what is there."""

from pathlib import Path

from desktop_gan.training.dataset_scan import filtered_view, scan_folder


def test_scan_reports_counts_rates_groups_and_problems(messy_folder):
    rep = scan_folder(messy_folder, min_seconds=0.1)
    assert rep.ok and not rep.error
    assert sorted(Path(f).name for f in rep.files) == ["good1.wav", "good2.wav"]
    assert {Path(p.path).name: p.reason for p in rep.problems} == {
        "silent.wav": "silent", "clipped.wav": "clipped", "short.wav": "too short", "broken.wav": "unreadable"}
    assert rep.samplerates == {8000: 1, 16000: 1}
    assert rep.groups == {"kick": 1, "snare": 1}
    assert abs(rep.total_seconds - (0.5 + 0.25)) < 1e-6
    text = rep.summary()
    assert "2 usable files" in text and "skipped 4" in text and "broken.wav" in text
    d = rep.to_dict()
    assert d["samplerates"] == {"8000": 1, "16000": 1} and len(d["problems"]) == 4


def test_missing_and_empty_folders_are_errors_not_exceptions(tmp_path):
    assert scan_folder(tmp_path / "nope").error == "folder not found"
    (tmp_path / "empty").mkdir()
    rep = scan_folder(tmp_path / "empty")
    assert rep.error == "no audio files found" and not rep.ok


def test_progress_is_reported(messy_folder):
    seen = []
    scan_folder(messy_folder, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6) and len(seen) == 6


def test_filtered_view_holds_only_usable_files(messy_folder, tmp_path):
    rep = scan_folder(messy_folder, min_seconds=0.1)
    view = filtered_view(rep, tmp_path / "view")
    files = sorted(str(p.relative_to(view)) for p in view.rglob("*.wav"))
    assert files == ["kick/good1.wav", "snare/good2.wav"]
    assert (view / "kick" / "good1.wav").read_bytes() == (messy_folder / "kick" / "good1.wav").read_bytes()
