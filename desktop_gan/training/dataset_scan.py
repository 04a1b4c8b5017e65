"""Look at a training folder before training: what is there, and which files cannot be used.

``scan_folder(path)`` reads every audio file under a folder (recursively) and returns a
``ScanReport``: file count, total duration, sample rates, counts per first-level subfolder (the drum
kinds), the usable files, and every unreadable, silent, clipped or too-short file with the reason.
Problems are listed and skipped, never fatal; only an empty or missing folder is an error for the
caller to show. numpy + soundfile only, so the panel can run it off the GUI thread without torch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff")
SILENCE_PEAK = 10 ** (-60 / 20)  # peak below -60 dBFS: silent
CLIP_LEVEL = 0.999
CLIP_FRACTION = 0.001  # more than 0.1 % of samples at full scale ...
CLIP_MIN_SAMPLES = 8  # ... and at least this many: clipped


@dataclass
class Problem:
    path: str
    reason: str  # 'unreadable' | 'silent' | 'clipped' | 'too short'
    detail: str = ""


@dataclass
class ScanReport:
    root: str
    files: list[str] = field(default_factory=list)  # usable files
    problems: list[Problem] = field(default_factory=list)
    total_seconds: float = 0.0
    samplerates: dict[int, int] = field(default_factory=dict)  # rate -> files
    groups: dict[str, int] = field(default_factory=dict)  # first-level subfolder -> usable files
    error: str = ""  # set when the folder itself is unusable

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.files)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["samplerates"] = {str(k): v for k, v in self.samplerates.items()}
        return d

    def summary(self) -> str:
        """A short human report (the CLI prints it; the panel shows it)."""
        if self.error:
            return f"{self.root}: {self.error}"
        rates = ", ".join(f"{r} Hz x{n}" for r, n in sorted(self.samplerates.items())) or "-"
        lines = [f"{self.root}: {len(self.files)} usable files, {self.total_seconds / 60:.1f} min, rates {rates}"]
        if self.groups and set(self.groups) != {"."}:
            lines.append("  " + ", ".join(f"{g}: {n}" for g, n in sorted(self.groups.items())))
        if self.problems:
            by = Counter(p.reason for p in self.problems)
            lines.append(f"  skipped {len(self.problems)}: " + ", ".join(f"{n} {r}" for r, n in sorted(by.items())))
            for p in self.problems[:20]:
                lines.append(f"    {p.reason}: {p.path}" + (f" ({p.detail})" if p.detail else ""))
            if len(self.problems) > 20:
                lines.append(f"    ... and {len(self.problems) - 20} more")
        return "\n".join(lines)


def check_file(path: Path, min_seconds: float) -> tuple[float, int, Problem | None]:
    """(duration s, sample rate, problem or None) for one file."""
    import soundfile as sf

    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError, TypeError...
        return 0.0, 0, Problem(str(path), "unreadable", str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__)
    frames = data.shape[0]
    seconds = frames / sr if sr else 0.0
    if frames == 0 or seconds < min_seconds:
        return seconds, sr, Problem(str(path), "too short", f"{seconds:.3f} s < {min_seconds:g} s")
    if not np.all(np.isfinite(data)):
        return seconds, sr, Problem(str(path), "unreadable", "contains NaN or infinite samples")
    peak = float(np.max(np.abs(data)))
    if peak < SILENCE_PEAK:
        return seconds, sr, Problem(str(path), "silent", f"peak {20 * np.log10(peak + 1e-12):.0f} dBFS")
    at_full = int(np.count_nonzero(np.abs(data) >= CLIP_LEVEL))
    if at_full >= max(CLIP_MIN_SAMPLES, CLIP_FRACTION * data.size):
        return seconds, sr, Problem(str(path), "clipped", f"{at_full} samples at full scale")
    return seconds, sr, None


def scan_folder(root: str | Path, min_seconds: float = 0.05, progress=None) -> ScanReport:
    """Scan every audio file under ``root``; ``progress(done, total)`` is called as it goes."""
    root = Path(root)
    report = ScanReport(str(root))
    if not root.is_dir():
        report.error = "folder not found"
        return report
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    rates: Counter = Counter()
    groups: Counter = Counter()
    for i, p in enumerate(paths):
        seconds, sr, problem = check_file(p, min_seconds)
        if problem is not None:
            report.problems.append(problem)
        else:
            report.files.append(str(p))
            report.total_seconds += seconds
            rates[sr] += 1
            rel = p.relative_to(root).parts
            groups[rel[0] if len(rel) > 1 else "."] += 1
        if progress is not None:
            progress(i + 1, len(paths))
    report.samplerates = dict(rates)
    report.groups = dict(groups)
    if not paths:
        report.error = "no audio files found"
    elif not report.files:
        report.error = "no usable audio files (all skipped)"
    return report


def scan_task_data(data: dict[str, str | Path | None], min_seconds: float = 0.05) -> dict[str, ScanReport]:
    """Scan each given data folder of a task (keyword -> folder); ``None`` folders are left out."""
    return {key: scan_folder(folder, min_seconds) for key, folder in data.items() if folder}


def filtered_view(report: ScanReport, view_dir: Path) -> Path:
    """A folder mirroring ``report.root`` with only the usable files (symlinks, or copies where links
    are not possible), so a task that reads a folder never sees the skipped files."""
    import shutil

    root = Path(report.root)
    view_dir = Path(view_dir)
    if view_dir.exists():
        shutil.rmtree(view_dir)
    for f in report.files:
        src = Path(f)
        dst = view_dir / src.relative_to(root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            dst.symlink_to(src.resolve())
        except OSError:
            shutil.copyfile(src, dst)
    view_dir.mkdir(parents=True, exist_ok=True)
    return view_dir
