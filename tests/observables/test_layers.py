"""The layer order of DESIGN.md holds for the observables (issue 14): they import neither stats
(the histograms are in the bottom module mblkit.histograms) nor the parametric tracking, an
algorithm that drives a solver (mblkit.parametric)."""

import subprocess
import sys


def imported_by(module: str) -> set[str]:
    code = (f"import sys, {module}; "
            f"print(' '.join(m for m in sys.modules if m.startswith('mblkit')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(out.stdout.split())


def test_observables_import_neither_stats_nor_parametric_nor_campaign():
    mods = imported_by("mblkit.observables")
    assert "mblkit.observables.resonances" in mods and "mblkit.histograms" in mods
    bad = {m for m in mods if m.split(".")[1:2] in (["stats"], ["parametric"], ["campaign"],
                                                   ["figures"])}
    assert not bad


def test_stats_reexports_the_same_histograms():
    import mblkit.histograms as bottom
    import mblkit.stats as stats

    assert stats.LogBins is bottom.LogBins and stats.density is bottom.density
    assert stats.merge is bottom.merge
