"""Runs that nothing can corrupt: a second run on one store, lost workers, a dying driver,
multi-threaded and TLS Dask workers, other BLAS threads, fewer realisations, equal configs."""

import itertools
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from store_compare import TINY, assert_same_store
from typer.testing import CliRunner

import mblkit.campaign.runner as runner_module
from mblkit.campaign.config import ConfigError, load_config, parse_config
from mblkit.campaign.executors import (
    MAX_CONSECUTIVE_LOST,
    DaskExecutor,
    ExecutorError,
    LocalPoolExecutor,
)
from mblkit.campaign.runner import _missing, output_path, run_campaign
from mblkit.campaign.store import CampaignStore, StoreMismatchError
from mblkit.campaign.tasks import campaign_identity, run_realisation, validate
from mblkit.cli import app


def run_file(path, **kwargs):
    cfg, text = load_config(path)
    return run_campaign(cfg, text, output_path(cfg, path), **kwargs)


# --------------------------------------------------------------------------- two runs at once

SLOW_RUN = textwrap.dedent('''
    import sys, time
    import mblkit.campaign.runner as runner
    original = runner.run_realisation

    def slow(config, p, i):
        time.sleep(0.25)
        return original(config, p, i)

    runner.run_realisation = slow
    from mblkit.cli import app
    sys.argv = ["mblkit", "run", sys.argv[1], "--workers", "1", "--merge-every", "1"]
    app()
''')


def test_a_second_run_on_the_same_store_is_refused_and_the_first_is_unharmed(tiny_config):
    reference = tiny_config("reference", realisations=3)
    run_file(reference, workers=1)
    first = tiny_config("busy", realisations=3)
    lock = first.with_suffix(".h5.lock")
    proc = subprocess.Popen([sys.executable, "-c", SLOW_RUN, str(first)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while f'"pid": {proc.pid}' not in (lock.read_text() if lock.exists() else ""):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        result = CliRunner().invoke(app, ["run", str(first), "--workers", "1"])
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert "another mblkit run is writing" in text and f"pid {proc.pid}" in text
        status = CliRunner().invoke(app, ["status", str(first.with_suffix(".h5"))])
        assert status.exit_code == 0, status.output  # reading works alongside the run
        assert proc.poll() is None  # the second run did not disturb the first
    finally:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert_same_store(reference.with_suffix(".h5"), first.with_suffix(".h5"))


# --------------------------------------------------------------------------- lost workers

KILLED = {(1, 2)}


def killing(config, p, i):
    """run_realisation, except that the tasks in KILLED kill their own worker process."""
    if (p, i) in KILLED:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_realisation(config, p, i)


def test_a_killed_pool_worker_is_that_realisations_failure_and_the_run_goes_on(
        tiny_config, monkeypatch):
    reference = tiny_config("reference", realisations=4)
    run_file(reference, workers=1)
    monkeypatch.setattr(runner_module, "run_realisation", killing)
    path = tiny_config("killed", realisations=4)
    report = run_file(path, workers=2)
    assert (report.computed, report.failed) == (15, 1)
    failures = CampaignStore.read(path.with_suffix(".h5")).failures()
    assert [(p, i) for p, i, _ in failures] == [(1, 2)]
    assert "WorkerLost" in failures[0][2] and "SIGKILL" in failures[0][2]
    monkeypatch.setattr(runner_module, "run_realisation", run_realisation)
    assert run_file(path, workers=2).computed == 1
    assert_same_store(reference.with_suffix(".h5"), path.with_suffix(".h5"))


def always_killing(config, p, i):
    os.kill(os.getpid(), signal.SIGKILL)


def test_workers_that_always_die_end_the_run_with_a_message():
    pool = LocalPoolExecutor(2, 1)
    outcomes = []
    try:
        with pytest.raises(ExecutorError, match="killed their worker process"):
            for _task, outcome in pool.run(always_killing, ((None, 0, i) for i in range(50))):
                outcomes.append(outcome)
    finally:
        pool.close()
    assert len(outcomes) == MAX_CONSECUTIVE_LOST  # each blamed once, alone, then it stops
    assert all(status == "error" and "WorkerLost" in msg for status, msg in outcomes)


def square(x):
    return x * x


def test_executors_take_tasks_lazily():
    """A campaign of 1e11 realisations never lists its tasks: an endless task stream works."""
    pool = LocalPoolExecutor(2, 1)
    try:
        got = list(itertools.islice(pool.run(square, ((k,) for k in itertools.count())), 20))
    finally:
        pool.close()
    assert sorted(outcome for _, (_, outcome) in got) == sorted(k * k for k, in
                                                                (t for t, _ in got))
    start = time.perf_counter()
    first = list(itertools.islice(_missing([set(), {0, 2}], 10**11), 4))
    assert first == [(0, 0), (0, 1), (0, 2), (0, 3)] and time.perf_counter() - start < 1
    text = TINY.format(realisations=2, output="x.h5").replace("realisations = 2",
                                                              "realisations = 1e11")
    assert parse_config(text).realisations == 10**11


DRIVER = textwrap.dedent('''
    import sys, time
    from mblkit.campaign.executors import LocalPoolExecutor

    def sleepy(x):
        time.sleep(120)

    pool = LocalPoolExecutor(2, 1)
    for _ in pool.run(sleepy, ((k,) for k in range(4))):
        pass
''')


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_killing_the_driver_takes_its_pool_workers_with_it(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    driver = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(driver.pid)) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        driver.kill()
        driver.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), workers


def test_numba_threads_are_set_through_numbas_api_per_task():
    code = textwrap.dedent('''
        import numba
        from mblkit.campaign.executors import SerialExecutor
        for n in (2, 1):
            [(_, (status, got))] = SerialExecutor(n).run(numba.get_num_threads, [()])
            print(n, got)
    ''')
    env = {**os.environ, "NUMBA_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["2", "2", "1", "1"]


# --------------------------------------------------------------------------- Dask


def _certificates(folder):
    """A self-signed CA and a certificate it signed, for 127.0.0.1 (openssl)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make test certificates")

    def ssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=mblkit-test-ca")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr",
        "-subj", "/CN=localhost")
    ssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "node.pem", "-days", "2", "-extfile", "ext.cnf")
    return [str(folder / name) for name in ("ca.pem", "node.pem", "node.key")]


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    """One TLS Dask worker with two threads (what SLURMCluster(cores=2, processes=1) gives)."""
    pytest.importorskip("distributed")
    import dask
    from distributed import LocalCluster

    from mblkit.campaign.executors import dask_security

    files = _certificates(tmp_path_factory.mktemp("tls"))
    security = dask_security(*files)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                               host="127.0.0.1", protocol="tls://", security=security,
                               dashboard_address=None)
    try:
        yield cluster, files
    finally:
        cluster.close()


def stamped(k):
    start = time.monotonic()
    time.sleep(0.3)
    return os.getpid(), start, time.monotonic()


def test_tls_two_thread_dask_worker_agrees_bitwise_and_runs_one_task_at_a_time(
        tiny_config, tls_cluster):
    from distributed import Client

    cluster, files = tls_cluster
    address = cluster.scheduler_address
    assert address.startswith("tls://")
    result = CliRunner().invoke(app, ["run", str(tiny_config("plain", 2)), "--scheduler",
                                      address.replace("tls://", "tcp://"), "--tls-ca-file",
                                      files[0], "--tls-cert", files[1], "--tls-key", files[2]])
    assert result.exit_code == 2 and "plain TCP" in result.output
    with pytest.raises((OSError, TypeError)):  # without the certificates nobody gets in
        Client(address, timeout=3)
    dask_run = tiny_config("dask", realisations=2)
    result = CliRunner().invoke(app, ["run", str(dask_run), "--scheduler", address,
                                      "--tls-ca-file", files[0], "--tls-cert", files[1],
                                      "--tls-key", files[2]])
    assert result.exit_code == 0, result.output
    assert "several threads" in result.output
    local = tiny_config("local", realisations=2)
    run_file(local, workers=2)
    assert_same_store(local.with_suffix(".h5"), dask_run.with_suffix(".h5"))

    from mblkit.campaign.executors import dask_security

    pool = DaskExecutor(address, 1, 1, security=dask_security(*files))
    try:
        stamps = sorted(outcome for _, (_, outcome) in pool.run(stamped,
                                                                ((k,) for k in range(4))))
    finally:
        pool.close()
    assert len({pid for pid, _, _ in stamps}) == 1  # one worker process, two threads
    for (_, _, end), (_, start, _) in itertools.pairwise(stamps):
        assert start >= end - 1e-3  # never two tasks at once in one process


def killing_on_dask(config, p, i):
    if (p, i) == (0, 1):
        os.kill(os.getpid(), signal.SIGKILL)
    return run_realisation(config, p, i)


def test_a_killed_dask_worker_is_that_realisations_failure(tiny_config, tls_cluster,
                                                           monkeypatch):
    from mblkit.campaign.executors import dask_security

    cluster, files = tls_cluster
    monkeypatch.setattr(runner_module, "run_realisation", killing_on_dask)
    path = tiny_config("dask-killed", realisations=2)
    report = run_file(path, executor="dask", scheduler=cluster.scheduler_address,
                      security=dask_security(*files))
    assert (report.computed, report.failed) == (7, 1)  # the others were not blamed
    [(p, i, message)] = CampaignStore.read(path.with_suffix(".h5")).failures()
    assert (p, i) == (0, 1) and "KilledWorker" in message


def test_dask_local_serves_no_dashboard_unless_asked():
    pytest.importorskip("distributed")
    import urllib.error
    import urllib.request

    pool = DaskExecutor(None, 1, 1)
    try:
        scheduler = pool.cluster.scheduler
        host = scheduler.address.split("://")[1].split(":")[0]
        assert host == "127.0.0.1"
        port = scheduler.http_server._sockets[next(iter(scheduler.http_server._sockets))
                                              ].getsockname()[1]
        for route in ("/status", "/health", "/info/main/workers.html"):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{route}", timeout=5)
            assert info.value.code == 404
    finally:
        pool.close()


# --------------------------------------------------------------------------- identity


def test_a_resume_with_other_blas_threads_is_refused_naming_them(tiny_config):
    path = tiny_config("blas", realisations=2)
    run_file(path, workers=1, blas_threads=1)
    path.write_text(path.read_text().replace("realisations = 2", "realisations = 3"))
    before = path.with_suffix(".h5").read_bytes()
    result = CliRunner().invoke(app, ["run", str(path), "--workers", "1", "--blas-threads", "2"])
    assert result.exit_code == 2
    assert "blas_threads = 1 (this run: 2)" in " ".join(result.output.split())
    assert path.with_suffix(".h5").read_bytes() == before
    assert run_file(path, workers=1, blas_threads=1).computed == 4


def test_lowering_realisations_below_the_store_is_refused(tiny_config):
    path = tiny_config("lower", realisations=3)
    run_file(path, workers=1)
    before = path.with_suffix(".h5").read_bytes()
    path.write_text(path.read_text().replace("realisations = 3", "realisations = 2"))
    with pytest.raises(StoreMismatchError, match="realisations = 2 is below"):
        run_file(path, workers=1)
    assert path.with_suffix(".h5").read_bytes() == before
    status = CliRunner().invoke(app, ["status", str(path.with_suffix(".h5"))])
    assert "12/12 realisations stored" in status.output


@pytest.mark.parametrize("edit", [
    ('sector = "half"\n', ""),  # left out: "half" for a U(1) model
    ('sector = "half"', "sector = 3"),  # n_up = L // 2 at L = 6 ...
    ("W = [1.0, 5.0]", "W = [1, 5]"),
    ("J = 1.0, delta = 1.0", "delta = 1"),  # a default left out, an int for a float
    ("bins = 20", "bins = 20\nfraction = 0.5"),  # a default written out
])
def test_physically_identical_configs_are_one_campaign(edit, tiny_config):
    base = TINY.format(realisations=2, output="x.h5")
    grid_6 = base.replace("L = [6, 8]", "L = [6]")
    other = grid_6.replace(*edit)
    assert other != grid_6
    one, two = parse_config(grid_6), parse_config(other)
    assert campaign_identity(one, validate(one)) == campaign_identity(two, validate(two))
    path = tiny_config("same", 2)
    path.write_text(grid_6)
    run_file(path, workers=1)
    path.write_text(other)
    assert run_file(path, workers=1).computed == 0


@pytest.mark.parametrize("edit", [
    ("W = [1.0, 5.0]", "W = [1.0, 5.5]"),
    ("seed = 11", "seed = 12"),
    ('sector = "half"', "sector = 2"),
    ("bins = 20", "bins = 21"),
    ("J = 1.0, delta = 1.0", "J = 1.0, delta = 1.5"),
])
def test_a_different_config_has_another_identity(edit):
    base = TINY.format(realisations=2, output="x.h5").replace("L = [6, 8]", "L = [6]")
    one, two = parse_config(base), parse_config(base.replace(*edit))
    assert campaign_identity(one, validate(one))[0] != campaign_identity(two, validate(two))[0]


# --------------------------------------------------------------------------- bad input

BAD = [
    (("L = [6, 8]", "L = [1]"), "L = 1, dimension 1"),
    (("L = [6, 8]", "L = [2]"), "L = 2, dimension 2"),
    (('sector = "half"', "sector = 6", "L = [6, 8]", "L = [6]"), "dimension 1"),
    (("bins = 20", "bins = 20\nfraction = 0.01"), "fraction = 0.01"),
    (('method = "full"', 'method = "interior"\nk = 4'), "solver.k = 4"),
    (('method = "full"', 'method = "interior"\ntarget = nan'),
     r"solver\.target.* = nan: Input should be a finite number"),
    (('method = "full"', 'method = "interior"\ntarget = inf'),
     r"solver\.target.* = inf: Input should be a finite number"),
    (('method = "full"', 'method = "full"\nk = 10'), "apply to method = 'interior'"),
    (("bins = 20", "bins = 1e10"), "fewer histogram bins"),
    (('sector = "half"', "sector = true"), "not a boolean"),
    (("W = [1.0, 5.0]", "W = [true]"), "W = True"),
    (("J = 1.0", "J = false"), "J = False"),
    (("realisations = 2", "realisations = true"), "realisations = True"),
    (("bins = 20", "bins = true"), "bins = True"),
    (('sites = "middle"', "sites = []"), "at least 1 item"),
    (('sites = "middle"', "sites = [1, 1]"), "repeats a site"),
    (('name = "purity"', 'name = "gap_ratio"'), "appear more than once"),
    (("J = 1.0, delta = 1.0", "J = 1.0, delta = 1.0, W = 2.0"), "both model.params and"),
    (("bins = 20", "bins = 20\nlog_bins = { omega = [1e-3, 1.0, 10] }"),
     "log_bins do\\(es\\) not apply"),
    (("bins = 20", "bins = 20\nsites = [0]"), "sites do\\(es\\) not apply"),
    (("W = [1.0, 5.0]", "W = [1.0, 1.0]"), "repeats a value"),
]


@pytest.mark.parametrize(("edits", "message"), BAD)
def test_bad_input_is_refused_before_work_naming_key_and_value(tmp_path, edits, message):
    text = TINY.format(realisations=2, output=str(tmp_path / "bad.h5"))
    for old, new in zip(edits[::2], edits[1::2], strict=True):
        assert old in text, old
        text = text.replace(old, new, 1)
    with pytest.raises(ConfigError, match=message):
        cfg = parse_config(text)
        run_campaign(cfg, text, tmp_path / "bad.h5", workers=1)
    assert os.listdir(tmp_path) == []


def test_cli_reports_damaged_and_foreign_journal_records_without_traceback(tiny_config):
    path = tiny_config("damaged", realisations=2)
    run_file(path, workers=1)
    store = path.with_suffix(".h5")
    journal = Path(str(store) + ".journal")
    other = tiny_config("other", realisations=2)
    other.write_text(other.read_text().replace("seed = 11", "seed = 99").replace(
        "realisations = 2", "realisations = 3"))
    cfg, text = load_config(other)
    points = validate(cfg)
    chash, params = campaign_identity(cfg, points)
    foreign = CampaignStore.open(other.with_suffix(".h5"), text, chash, params, {})
    foreign.commit(0, 2, run_realisation(cfg, 0, 2))
    shutil.copy(foreign.journal_dir / "p00000_r0000002.npz", journal)  # another seed's record
    foreign.close()
    for command in (["status", str(store)], ["summary", str(store)], ["plot", str(store)],
                    ["run", str(path), "--workers", "1"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code != 0, (command, result.output)
        assert "another campaign" in " ".join(result.output.split()), (command, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), command



def test_a_scheduler_without_workers_is_reported_and_a_lost_scheduler_ends_the_run(
        monkeypatch):
    pytest.importorskip("distributed")
    import threading

    from distributed import LocalCluster

    import mblkit.campaign.executors as executors_module

    monkeypatch.setattr(executors_module, "NO_WORKER_NOTICE_SECONDS", 0.5)
    cluster = LocalCluster(n_workers=0, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    notices, raised = [], []
    pool = DaskExecutor(cluster.scheduler_address, 1, 1, notice=notices.append)

    def drive():
        try:
            next(pool.run(square, ((k,) for k in range(3))))
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=drive, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while not notices and time.monotonic() < deadline:
            time.sleep(0.1)
        assert notices and "no worker" in notices[0]  # not waiting silently
        cluster.close()  # the scheduler goes away while the run waits
        thread.join(60)
    finally:
        pool.close()
        cluster.close()
    assert not thread.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], ExecutorError), raised
    assert "lost the Dask scheduler" in str(raised[0])
