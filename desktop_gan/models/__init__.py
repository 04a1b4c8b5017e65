"""torch modules: generators, discriminators and losses. torch only (no Qt, no devices)."""
