"""The audio engine: sounddevice streams, rings, player and recorder (no Qt, no torch)."""
