"""Sampling: rounds and batches."""
