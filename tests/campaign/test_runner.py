import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from store_compare import TINY, assert_same_store
from typer.testing import CliRunner

import mblkit.campaign.runner as runner_module
from mblkit.campaign.config import ConfigError, load_config, parse_config
from mblkit.campaign.results import open_results
from mblkit.campaign.runner import output_path, run_campaign
from mblkit.campaign.store import CampaignStore
from mblkit.campaign.tasks import run_realisation, validate
from mblkit.cli import app


def run_file(path, **kwargs):
    cfg, text = load_config(path)
    return run_campaign(cfg, text, output_path(cfg, path), **kwargs)


def test_record_depends_only_on_seed_point_realisation(tiny_config):
    cfg, _ = load_config(tiny_config())
    a, b = run_realisation(cfg, 1, 3), run_realisation(cfg, 1, 3)
    assert a["scalars"] == b["scalars"]
    np.testing.assert_array_equal(a["arrays"]["disorder"], b["arrays"]["disorder"])
    assert not np.array_equal(a["arrays"]["disorder"], run_realisation(cfg, 1, 4)["arrays"]
                              ["disorder"])


def test_serial_resume_and_two_workers_agree(tiny_config):
    one = tiny_config("one")
    report = run_file(one, workers=1)
    assert report.computed == 24 and report.failed == 0
    again = run_file(one, workers=1)
    assert again.computed == 0 and again.skipped == 24
    two = tiny_config("two")
    run_file(two, workers=2)
    assert_same_store(one.with_suffix(".h5"), two.with_suffix(".h5"))


def test_dask_local_cluster_agrees_with_local_pool(tiny_config):
    pytest.importorskip("distributed")
    local, dask = tiny_config("local", realisations=3), tiny_config("dask", realisations=3)
    run_file(local, workers=2)
    run_file(dask, workers=2, executor="dask")
    assert_same_store(local.with_suffix(".h5"), dask.with_suffix(".h5"))


def test_failures_are_recorded_and_retried(tiny_config, monkeypatch):
    path = tiny_config("fail", realisations=3)
    original = runner_module.run_realisation

    def flaky(config, p, i):
        if (p, i) == (2, 1):
            raise ArithmeticError("verification failed (simulated)")
        return original(config, p, i)

    monkeypatch.setattr(runner_module, "run_realisation", flaky)
    report = run_file(path, workers=1)
    assert report.failed == 1 and report.computed == 11
    store = CampaignStore.read(path.with_suffix(".h5"))
    assert [(p, i) for p, i, _ in store.failures()] == [(2, 1)]
    assert "simulated" in store.failures()[0][2]
    monkeypatch.setattr(runner_module, "run_realisation", original)
    report = run_file(path, workers=1)
    assert report.computed == 1 and report.failed == 0
    assert CampaignStore.read(path.with_suffix(".h5")).failures() == []
    reference = tiny_config("reference", realisations=3)
    run_file(reference, workers=1)
    assert_same_store(path.with_suffix(".h5"), reference.with_suffix(".h5"))


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace('name = "tiny"', 'name = "tiny"\nworkers = 3'), "workers"),
    (lambda t: t.replace("seed = 11", "seed = -1"), "seed"),
    (lambda t: t.replace('name = "xxz"', 'name = "xyz"'), "model.name = 'xyz'"),
    (lambda t: t.replace("L = [6, 8]", "L = [6, 30]"), "L=30"),
    (lambda t: t.replace('sector = "half"', "sector = 9"), "solver.sector = 9"),
    (lambda t: t.replace('name = "gap_ratio"', 'name = "gap_ration"'), "gap_ration"),
    (lambda t: t.replace("W = [1.0, 5.0]", "W = [1.0, -5.0]"), "W=-5.0"),
    (lambda t: t.replace("bins = 20", "bins = 0"), "bins"),
    (lambda t: t.replace("L = [6, 8]", "L = [24]"), "GiB"),
])
def test_bad_configs_fail_before_work(tmp_path, edit, message):
    text = edit(TINY.format(realisations=2, output="bad.h5"))
    with pytest.raises(ConfigError, match=message):
        validate(parse_config(text))
    assert not (tmp_path / "bad.h5").exists()


def test_cli_run_status_summary_plot_and_xarray(tiny_config):
    path = tiny_config("cli", realisations=3)
    cli = CliRunner()
    result = cli.invoke(app, ["run", str(path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    store = path.with_suffix(".h5")
    result = cli.invoke(app, ["status", str(store)])
    assert result.exit_code == 0 and "12/12 realisations stored" in result.output
    result = cli.invoke(app, ["summary", str(store)])
    assert result.exit_code == 0 and "gap_ratio" in result.output and "±" in result.output
    result = cli.invoke(app, ["plot", str(store)])
    assert result.exit_code == 0, result.output
    assert (store.with_suffix("") / "gap_ratio.png").exists()
    ds = open_results(store)
    assert ds["gap_ratio"].dims == ("L", "W") and list(ds["L"].values) == [6, 8]
    assert int(ds["n_realisations"].sum()) == 12
    assert ds["hist_gap_ratio"].sum() > 0


def test_cli_reports_bad_config(tiny_config, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.format(realisations=2, output="x.h5").replace("seed = 11", "sed = 11"))
    result = CliRunner().invoke(app, ["run", str(bad)])
    assert result.exit_code == 2 and "sed" in result.output


def _start_run(config_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    code = ("import sys; from mblkit.cli import app; "
            "sys.argv = ['mblkit', 'run', sys.argv[1], '--workers', '1', '--merge-every', '0']; "
            "app()")
    return subprocess.Popen([sys.executable, "-c", code, str(config_path)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_sigkill_at_three_moments_then_resume_equals_uninterrupted(tiny_config):
    # --merge-every 0 merges the journal into the HDF5 file after every realisation, so the
    # store is being rewritten most of the time and the kills land inside writes too (the
    # store's own tests kill at each step of a write deterministically).
    reference = tiny_config("reference", realisations=12)
    run_file(reference, workers=1)
    killed = tiny_config("killed", realisations=12)
    store = killed.with_suffix(".h5")
    for delay in (1.5, 2.5, 3.5):
        proc = _start_run(killed)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if store.exists():
            CampaignStore.read(store)  # a killed run leaves a store that opens
    run_file(killed, workers=1)
    assert_same_store(reference.with_suffix(".h5"), store)


def test_config_that_does_not_match_the_store_is_refused_and_store_kept(tiny_config):
    from mblkit.campaign.store import StoreMismatchError

    path = tiny_config("kept", realisations=2)
    run_file(path, workers=1)
    store = path.with_suffix(".h5")
    before = store.read_bytes()
    path.write_text(path.read_text().replace("seed = 11", "seed = 12"))
    with pytest.raises(StoreMismatchError):
        run_file(path, workers=1)
    assert store.read_bytes() == before


def test_foreign_file_at_output_is_refused_and_kept(tiny_config):
    from mblkit.campaign.store import StoreError

    path = tiny_config("foreign", realisations=2)
    path.with_suffix(".h5").write_text("my thesis, chapter 3")
    with pytest.raises(StoreError, match="not an mblkit campaign store"):
        run_file(path, workers=1)
    assert path.with_suffix(".h5").read_text() == "my thesis, chapter 3"


def test_mblkit_open_returns_dataset(tiny_config):
    """Smoke test: mblkit.open on a fresh store gives a Dataset over (L, W) with the errors; the
    independent checks are, in tests/campaign/test_results_open.py,
    ::test_every_stored_variable_round_trips and
    ::test_per_realisation_view_gives_the_stored_means_and_typical_values."""
    import mblkit

    path = tiny_config("open", realisations=2)
    run_file(path, workers=1)
    ds = mblkit.open(path.with_suffix(".h5"))
    assert set(ds.dims) >= {"L", "W"} and "purity_sem" in ds


def test_raising_realisations_extends_the_campaign(tiny_config):
    """Realisation i of point p does not depend on the total, so 3 then 5 equals 5 at once."""
    grown = tiny_config("grown", realisations=3)
    run_file(grown, workers=1)
    grown.write_text(grown.read_text().replace("realisations = 3", "realisations = 5"))
    report = run_file(grown, workers=1)
    assert report.computed == 8 and report.skipped == 12
    direct = tiny_config("direct", realisations=5)
    run_file(direct, workers=1)
    assert_same_store(grown.with_suffix(".h5"), direct.with_suffix(".h5"))
    assert "realisations = 5" in CampaignStore.read(grown.with_suffix(".h5")).config_text


def test_a_realisation_that_fails_every_run_is_retried_last_and_counted(tiny_config,
                                                                       monkeypatch):
    """A deterministic failure is not retried first forever: earlier failures run after every
    other missing realisation, and each run that fails it again raises its count, reported."""
    path = tiny_config("repeat", realisations=2)
    original = runner_module.run_realisation
    order: list[tuple[int, int]] = []

    def broken(config, p, i):
        order.append((p, i))
        if (p, i) == (0, 0):
            raise ArithmeticError("verification failed (simulated)")
        return original(config, p, i)

    monkeypatch.setattr(runner_module, "run_realisation", broken)
    report = run_file(path, workers=1)
    assert report.failed == 1 and report.repeated == ()
    assert order[0] == (0, 0)  # nothing failed before: plain order
    store = CampaignStore.read(path.with_suffix(".h5"))
    message = store.failures()[0][2]
    assert "simulated" in message and not message.startswith("[failed")
    for times, realisations in ((2, 3), (3, 3)):
        order.clear()
        tiny_config("repeat", realisations=realisations)  # 2 -> 3: new work beside the failure
        report = run_file(path, workers=1)
        assert order[-1] == (0, 0) and order.count((0, 0)) == 1  # retried after the new work
        assert len(order) == (1 + report.computed if times == 2 else 1)
        assert [(p, i, n) for p, i, n, _ in report.repeated] == [(0, 0, times)]
        message = CampaignStore.read(path.with_suffix(".h5")).failures()[0][2]
        assert message.startswith(f"[failed {times} times] ") and message.count("[failed") == 1
    assert runner_module.failure_count(message) == 3


def test_earlier_failures_come_after_every_other_missing_realisation():
    completed = [{0}, set(), {1}]
    got = list(runner_module._missing(completed, 3, {(0, 1), (1, 2), (2, 1)}))
    assert got == [(0, 2), (1, 0), (1, 1), (2, 0), (2, 2), (0, 1), (1, 2)]
