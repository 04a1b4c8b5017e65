"""Calibrate a trained enhancer's suppression: one constant added to its band-gain logits.

The generator's band gains are ``sigmoid(out(h))`` (``models.enhancer``); adding ``offset`` to the
output layer's bias gives ``sigmoid(out(h) + offset)`` in every band and frame, and the fine low
band, which refines the spread band gains in the logit domain, follows them. A negative offset takes
out more of what the model is unsure about (noise left in pauses and between harmonics) at some cost
to clean speech; the model was trained towards losses that weigh damage to speech heavily, which is
not where the listening-quality measure (PESQ-WB) puts its optimum.

The offset is a run-time-free change (the same file format, the same cost) and is chosen on the
development set (``benchmarks/enhance_quality.py --profile dev --model NAME=PATH``), never on the
held-out set. The written model's training record keeps the offset, why it was chosen and the
source file's hash, beside the source's own record.

Run: ``python -m desktop_gan.training.calibrate IN.safetensors OUT.safetensors --logit-offset -0.4
--note "swept -1..+0.3 on the dev set"``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from desktop_gan.io.modelfile import ModelFileError, load_model, save_model

BIAS = "out.bias"


def shift_gain_logits(tensors: dict[str, np.ndarray], offset: float) -> dict[str, np.ndarray]:
    """A copy of ``tensors`` whose band-gain logits are ``offset`` higher (lower when negative)."""
    if BIAS not in tensors:
        raise ValueError(f"not an enhancer's weights: no {BIAS}")
    out = dict(tensors)
    out[BIAS] = (tensors[BIAS].astype(np.float64) + float(offset)).astype(tensors[BIAS].dtype)
    return out


def calibrate(src: str | Path, dst: str | Path, offset: float, note: str = "") -> Path:
    """Write ``dst``: the enhancer ``src`` with its gain logits shifted by ``offset``."""
    if Path(src).resolve() == Path(dst).resolve():
        raise ValueError("the calibrated model must go to a new file (the source is kept)")
    tensors, config = load_model(src, kind="enhancer")
    config = dict(config)
    training = dict(config.get("training") or {})
    if "calibration" in training:
        raise ValueError(f"{Path(src).name} is calibrated already (offset "
                         f"{training['calibration'].get('logit_offset')}); calibrate its source instead")
    training["calibration"] = {"logit_offset": float(offset), "note": note, "source_file": Path(src).name,
                               "source_sha256": config.get("sha256"),
                               "calibrated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    config["training"] = training  # save_model writes sha256, tensors and format_version afresh
    return save_model(dst, shift_gain_logits(tensors, offset), config)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Shift an enhancer's band-gain logits by a constant (calibration).")
    ap.add_argument("src", help="the trained model (.safetensors with its .json)")
    ap.add_argument("dst", help="where to write the calibrated model")
    ap.add_argument("--logit-offset", type=float, required=True, help="added to every band's gain logit")
    ap.add_argument("--note", default="", help="how the offset was chosen (kept in the training record)")
    args = ap.parse_args(argv)
    try:
        path = calibrate(args.src, args.dst, args.logit_offset, args.note)
    except (ModelFileError, ValueError, OSError) as exc:
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
