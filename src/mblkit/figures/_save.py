"""Writing a module's figures: one file per figure and format, the paths returned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

#: Resolution of the raster formats.
DPI = 150


def save_figures(makers: Mapping[str, Callable[[Any], Figure]], data: Any, folder: Path,
                 formats: tuple[str, ...] = (".png", ".pdf")) -> list[Path]:
    """``makers[name](data)`` saved as ``folder/name<suffix>`` for each of ``formats``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in makers.items():
        fig = make(data)
        for suffix in formats:
            out = folder / f"{name}{suffix}"
            fig.savefig(out, dpi=DPI)
            written.append(out)
    return written
