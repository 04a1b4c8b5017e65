"""The contract between the trainer and what it trains.

The trainer (``training/trainer.py``) owns the loop, devices, DDP, checkpoints, logging and resume;
a task owns its models, data, losses, evaluation and export. One trainer, many tasks: the enhancer
and the drum one-shot GAN are both tasks. Everything a task returns is plain data (floats, numpy
arrays) so the CLI, the Training panel and torchrun all read the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol


@dataclass
class Preview:
    name: str
    audio: Any  # numpy float32 (frames,) or (frames, channels)
    samplerate: int


@dataclass
class EvalResult:
    metrics: dict[str, float] = field(default_factory=dict)
    previews: list[Preview] = field(default_factory=list)


class GanTask(Protocol):
    name: str  # 'enhancer' | 'drums'

    def config(self) -> dict:
        """Architecture + data + optimiser settings; saved in every checkpoint."""

    def build(self, device) -> dict[str, Any]:
        """Return the nn.Modules by role: at least 'generator' and 'discriminator'."""

    def optimisers(self, modules: dict) -> dict[str, Any]:
        """Return optimisers by role ('generator', 'discriminator'); schedulers optional."""

    def batches(self, rank: int, world: int, seed: int) -> Iterator[Any]:
        """Endless iterator of training batches for this rank (already sharded)."""

    def d_step(self, modules: dict, batch, device) -> tuple[Any, dict[str, float]]:
        """Discriminator loss tensor and its logged parts."""

    def g_step(self, modules: dict, batch, device) -> tuple[Any, dict[str, float]]:
        """Generator loss tensor and its logged parts (adversarial, feature matching, reconstruction)."""

    def evaluate(self, modules: dict, device) -> EvalResult:
        """Metrics on a small validation set, and audio previews."""

    def export(self, modules: dict, path, record: dict) -> None:
        """Write the deployable model (safetensors + JSON config with the training record)."""
