"""Pure signal processing: numpy/scipy only (no Qt, no torch, no devices)."""
