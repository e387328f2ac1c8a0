"""Campaigns: disorder averages over parameter grids, reproducibly seeded."""

from mblkit.campaign.seeding import realisation_rng

__all__ = ["realisation_rng"]
