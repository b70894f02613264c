"""Entry points that run inside a training job, on the container's own Python (no fitcheck import)."""
