"""Spaced repetition (FSRS) of what learners save: cards, reviews, the queue, statistics."""
