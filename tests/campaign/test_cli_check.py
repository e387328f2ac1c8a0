"""mblkit check, the cost-weighted ETA, plain progress lines off a terminal, Ctrl-C, and config
errors that name the key (near misses, unknown model parameters, a config changed since its
store was made)."""

from pathlib import Path

import pytest
from store_compare import TINY
from typer.testing import CliRunner

import mblkit.campaign.runner as runner
from mblkit.campaign.check import check_config, cost_law
from mblkit.campaign.config import ConfigError, load_config, parse_config
from mblkit.campaign.progress import BETA_PRIOR, CostWeightedETA, PlainProgress
from mblkit.campaign.tasks import validate
from mblkit.cli import app

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_check_every_example_config(path):
    result = CliRunner().invoke(app, ["check", str(path), "--no-calibrate"])
    assert result.exit_code == 0, result.output
    cfg, _ = load_config(path)
    assert f"{len(cfg.points())} points x {cfg.realisations} realisations" in result.output
    assert "workers:" in result.output and "dimension" in result.output


def test_check_estimates_grow_with_the_cost_law(tiny_config):
    cfg, _ = load_config(tiny_config("check", 2))
    report = check_config(cfg, workers=1)
    by_L = {p.params["L"]: p for p in report.points}
    assert by_L[6].dim == 20 and by_L[8].dim == 70  # the half-filling sectors
    assert 0 < by_L[6].seconds <= by_L[8].seconds < 60
    assert by_L[8].cost / by_L[6].cost == pytest.approx((70 / 20) ** 3)
    assert report.workers == 1 and "realisation of point" in report.calibration
    result = CliRunner().invoke(app, ["check", str(tiny_config("check2", 2))])
    assert result.exit_code == 0 and "estimated wall time" in result.output


def test_interior_cost_law_is_the_measured_exponent(tiny_config):
    cfg = parse_config(TINY.format(realisations=1, output="x.h5").replace(
        'method = "full"', 'method = "interior"\nk = 8'))
    small, large = (cost_law(cfg, pt)[0] for pt in validate(cfg)[::2])
    assert large / small == pytest.approx((70 / 20) ** 1.7)


def test_eta_weighs_tasks_by_their_cost():
    """10 cheap tasks then 10 that cost 100x: after the cheap ones in 10 s (1 s each), a count
    of tasks says 10 s; the ETA says 10 x 100^BETA_PRIOR s, or 10 x 100 s where LAPACK's
    floor (here 1 s per unit of cost) is above that."""
    now = [0.0]
    eta = CostWeightedETA([1.0] * 10 + [100.0] * 10, clock=lambda: now[0])
    floored = CostWeightedETA([1.0] * 10 + [100.0] * 10, clock=lambda: now[0], floor=1.0)
    now[0] = 10.0
    assert eta.remaining(10) == pytest.approx(10 * 100**BETA_PRIOR)
    assert floored.remaining(10) == pytest.approx(1000.0)
    assert eta.fraction(10) == pytest.approx(10 / 1010)
    assert CostWeightedETA([1.0, 2.0]).remaining(0) is None
    assert eta.remaining(20) == 0.0


def test_eta_learns_the_scaling_between_sizes():
    """Tasks of cost 1, 8, 64 (dense ED at dim 1, 2, 4); measured 1 s and 2 s per task for
    the first two (small sizes are not cubic yet): beta = ln 2 / ln 8 = 1/3, so a 64-task is
    predicted at 2 * 8^(1/3) = 4 s: 20 s left, where cost weighting alone says 107 s."""
    now = [0.0]
    eta = CostWeightedETA([1.0] * 5 + [8.0] * 5 + [64.0] * 5, clock=lambda: now[0])
    for k in range(1, 11):
        now[0] = float(k) if k <= 5 else 5.0 + 2.0 * (k - 5)
        eta.remaining(k)
    assert eta.remaining(10) == pytest.approx(20.0)


def test_plain_progress_writes_a_line_every_so_often_and_at_the_end():
    now = [0.0]
    lines: list[str] = []
    eta = CostWeightedETA([1.0] * 100, clock=lambda: now[0])
    plain = PlainProgress(lines.append, eta, every=30.0, clock=lambda: now[0])
    for k in range(101):
        now[0] = float(k)  # one task a second
        plain(k, 100, 0)
    assert len(lines) == 4  # t = 0, 30, 60, 90
    assert "30/100 stored (30.0 %)" in lines[1] and "ETA 0:01:10" in lines[1]
    plain.finish()
    assert len(lines) == 5 and "100/100 stored (100.0 %)" in lines[-1]
    assert "ETA 0:00:00" in lines[-1]


def test_run_off_a_terminal_prints_plain_progress_lines(tiny_config):
    path = tiny_config("plain", 2)
    result = CliRunner().invoke(app, ["run", str(path), "--workers", "1",
                                      "--progress-every", "0"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if " stored (" in line]
    assert lines[0].endswith("ETA ?") and "0/8 stored (0.0 %)" in lines[0]
    assert len(lines) == 9 and "8/8 stored (100.0 %)" in lines[-1]


def test_ctrl_c_says_how_many_are_stored_and_how_to_resume(tiny_config, monkeypatch):
    path = tiny_config("stop", 3)
    real = runner.run_campaign

    def interrupted(*args, **kwargs):
        def progress(done, total, failures):
            if done >= 5:
                raise KeyboardInterrupt

        args = list(args)
        args[6] = progress
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "run_campaign", interrupted)
    result = CliRunner().invoke(app, ["run", str(path), "--workers", "1"])
    assert result.exit_code == 130
    assert "interrupted: 5 stored, run the same command to resume" in result.output
    monkeypatch.setattr(runner, "run_campaign", real)
    result = CliRunner().invoke(app, ["run", str(path), "--workers", "1"])
    assert result.exit_code == 0 and "7 realisations computed" in result.output
    assert "5 already stored" in result.output


def test_a_changed_config_names_the_changed_key(tiny_config):
    path = tiny_config("changed", 1)
    assert CliRunner().invoke(app, ["run", str(path), "--workers", "1"]).exit_code == 0
    path.write_text(path.read_text().replace("bins = 20", "bins = 21"))
    result = CliRunner().invoke(app, ["run", str(path), "--workers", "1"])
    assert result.exit_code == 2
    assert "observables.gap_ratio.bins: 20 -> 21" in " ".join(result.output.split())


def test_near_miss_keys_suggest_the_right_one():
    text = TINY.format(realisations=2, output="x.h5").replace("realisations", "realizations")
    text = text.replace("sites = ", "site = ")
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    message = str(err.value)
    assert "realizations = 2: unknown key (did you mean 'realisations'?)" in message
    assert "observables.1.site = 'middle': unknown key (did you mean 'sites'?)" in message
    assert "realisations: required, but missing" in message


def test_an_unknown_model_parameter_lists_the_allowed_ones():
    cfg = parse_config(TINY.format(realisations=2, output="x.h5").replace("delta", "delt"))
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    message = str(err.value)
    assert "model 'xxz' has no parameter 'delt' (did you mean 'delta'?)" in message
    assert "['J', 'L', 'W', 'boundary', 'delta']" in message
