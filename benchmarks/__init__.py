"""Benchmarks of the pure core, run by `make bench` (python -m benchmarks)."""
