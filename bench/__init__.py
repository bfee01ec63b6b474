"""Reproducible benchmarks; each writes JSON and a markdown table to bench/results/."""
