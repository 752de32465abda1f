"""Benchmarks; separate from the tests (`make bench`)."""
