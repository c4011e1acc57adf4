"""Lineage: directed edges between any two catalog entities, walked upstream and downstream."""
