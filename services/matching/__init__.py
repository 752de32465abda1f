"""Matching: the supply catalogue and ranked, explained site proposals for each case."""
