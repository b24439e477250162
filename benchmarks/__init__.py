"""Benchmarks that print figures and ratios; run them on a quiet machine and state its size."""
