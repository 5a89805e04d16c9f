"""Placement ("Find my level"): a yes/no vocabulary test from word frequencies, a gap-text
test (C-test) written by the model, and the level they say."""
