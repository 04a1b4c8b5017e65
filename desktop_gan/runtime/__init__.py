"""Streaming processors and renderers around the models: process(block), reset(), latency_samples."""
