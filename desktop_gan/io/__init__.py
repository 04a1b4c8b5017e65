"""Files at the edge: audio files through libsndfile, model files as safetensors + JSON."""
