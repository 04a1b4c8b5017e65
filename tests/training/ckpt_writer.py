"""Helper process for the kill test: writes checkpoints of a ~4 MB model in a loop, forever.
Each step's weights are filled with the step number, so a reader can check a checkpoint is whole."""

import sys
from pathlib import Path

import torch

from desktop_gan.training.checkpoint import save_checkpoint


def main(run_dir: str, start: int) -> None:
    torch.set_num_threads(1)
    gen = torch.nn.Linear(512, 1024)
    disc = torch.nn.Linear(1024, 1)
    opt = torch.optim.Adam(list(gen.parameters()) + list(disc.parameters()))
    (gen.weight.sum() + disc(gen(torch.zeros(1, 512))).sum()).backward()
    opt.step()
    step = start
    while True:
        step += 1
        with torch.no_grad():
            for p in list(gen.parameters()) + list(disc.parameters()):
                p.fill_(float(step))
        save_checkpoint(Path(run_dir), step, {"generator": gen, "discriminator": disc},
                        {"generator": opt}, {}, {}, extra={"step_value": step})
        print(step, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
