"""Data generation scripts (seeded), datasets, the trainer, checkpoints and export."""
