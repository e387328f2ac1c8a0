"""The papers' phenomenological models, which need no exact diagonalisation.

One module per model; each is a set of plain functions of plain parameters, vectorised with NumPy,
with the paper file and equation named in every docstring, so a theory curve can be drawn on the
same axes as a campaign's exact numerics.
"""
