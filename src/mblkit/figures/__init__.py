"""Figures drawn from results (one module per study or paper)."""
