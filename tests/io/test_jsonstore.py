from desktop_gan.io.jsonstore import load_json, save_json


def test_round_trip_and_missing(tmp_path):
    assert load_json(tmp_path / "none.json", {}) == ({}, None)
    save_json(tmp_path / "s.json", {"recent": ["a.wav"]})
    assert load_json(tmp_path / "s.json", {}) == ({"recent": ["a.wav"]}, None)


def test_corrupted_file_is_set_aside_with_a_warning(tmp_path):
    p = tmp_path / "history.json"
    p.write_text('{"items": [1, 2')  # cut mid-write
    data, warning = load_json(p, {})
    assert data == {} and "history.json was unreadable" in warning
    aside = [q.name for q in tmp_path.iterdir()]
    assert len(aside) == 1 and aside[0].startswith("history.json.corrupt-")
    p.write_text("[1, 2]")  # valid JSON of the wrong shape counts as corrupted too
    assert load_json(p, {})[1] is not None
