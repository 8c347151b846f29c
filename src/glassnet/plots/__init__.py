"""Figures and animations of data, networks and learning (matplotlib, object API)."""
