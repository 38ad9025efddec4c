"""Benchmarks: timing scripts that print figures and ratios; they never assert times."""
