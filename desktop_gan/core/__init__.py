"""Pure parameters and data structures: numpy only, no Qt, no torch, no devices."""
