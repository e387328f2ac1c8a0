"""The ``mblkit`` command."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from mblkit import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="mblkit: many-body resonances and avalanches in disordered spin chains.")
console = Console()


@app.callback()
def main() -> None:
    """mblkit command line."""


@app.command()
def version() -> None:
    """Print the package version."""
    console.print(__version__)


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=2)


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="campaign config (TOML)")],
    workers: Annotated[int | None, typer.Option(help="worker processes (default: cores, "
                                                     "limited by memory)")] = None,
    dask: Annotated[str | None, typer.Option(help="'local' to start a Dask LocalCluster")] = None,
    scheduler: Annotated[str | None, typer.Option(help="address of a running Dask scheduler, "
                                                       "e.g. tcp://host:8786")] = None,
    merge_every: Annotated[float, typer.Option(help="seconds between merges of the journal "
                                                    "into the HDF5 store")] = 20.0,
    blas_threads: Annotated[int, typer.Option(help="BLAS threads per realisation; results are "
                                                   "bitwise independent of workers and "
                                                   "executor for a fixed value, which the "
                                                   "store records")] = 1,
    tls_ca_file: Annotated[Path | None, typer.Option(help="Dask TLS: the CA certificate "
                                                          "(PEM)")] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="Dask TLS: this client's certificate "
                                                       "(PEM)")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="Dask TLS: the certificate's private "
                                                      "key (PEM)")] = None,
    dashboard: Annotated[str | None, typer.Option(help="--dask local: serve the Dask "
                                                       "dashboard at this address, e.g. "
                                                       "127.0.0.1:8787 (default: none)")] = None,
    progress_every: Annotated[float, typer.Option(help="seconds between plain progress lines "
                                                       "when stdout is not a terminal")] = 30.0,
) -> None:
    """Run (or resume) a campaign: every missing realisation, committed one by one. Ctrl-C
    stops it; what is stored stays, and running the same command resumes."""
    from mblkit.campaign.config import ConfigError, load_config
    from mblkit.campaign.executors import ExecutorError, dask_security
    from mblkit.campaign.progress import CostWeightedETA, PlainProgress, format_seconds
    from mblkit.campaign.runner import output_path, run_campaign
    from mblkit.campaign.store import StoreError, StoreMismatchError

    if dask not in (None, "local"):
        _fail(f"--dask {dask!r} is not allowed: use --dask local, or --scheduler ADDRESS")
    if dask and scheduler:
        _fail("--dask local and --scheduler exclude each other: give one")
    executor = "dask" if (dask or scheduler) else "local"
    tls = (tls_ca_file, tls_cert, tls_key)
    if executor != "dask" and (any(tls) or dashboard):
        _fail("--tls-* and --dashboard apply to Dask only: add --dask local or --scheduler")
    try:
        security = dask_security(*(str(t) if t else None for t in tls))
    except ValueError as err:
        _fail(str(err))
    try:
        cfg, text = load_config(config)
        store_path = output_path(cfg, config)
        costs, floor = _task_costs(cfg, store_path, workers, blas_threads)
        eta = CostWeightedETA(costs, floor=floor)
        if console.is_terminal:
            columns = ("[progress.description]{task.description}", BarColumn(),
                       MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                       TimeElapsedColumn(), TextColumn("ETA {task.fields[eta]}"),
                       TextColumn("failures: {task.fields[failures]}"))
            display: Any = Progress(*columns, console=console)
        else:
            display = contextlib.nullcontext()
        with display as bar:
            plain = PlainProgress(lambda line: print(line, flush=True), eta, progress_every)
            started: list[int] = []
            tasks: list[Any] = []

            def update(done: int, total: int, failures: int) -> None:
                if not started:
                    started.append(done)
                finished = done - started[0]
                if bar is None:
                    plain(done, total, failures)
                    return
                if not tasks:
                    tasks.append(bar.add_task(cfg.name, total=total, rate="", failures=0,
                                              eta="?"))
                bar.update(tasks[0], completed=done, total=total, failures=failures,
                           eta=format_seconds(eta.remaining(finished)),
                           rate=f"{100 * eta.fraction(finished):.0f} % of the cost")

            report = run_campaign(cfg, text, store_path, executor, workers, scheduler, update,
                                  consolidate_seconds=merge_every,
                                  blas_threads=blas_threads, security=security,
                                  dashboard=dashboard,
                                  notice=bar.console.print if bar is not None else print)
            if bar is None:
                plain.finish()
    except KeyboardInterrupt:
        stored = _count_stored(store_path)
        console.print(f"interrupted: {stored} stored, run the same command to resume")
        raise typer.Exit(code=130) from None
    except StoreMismatchError as err:
        _fail(_with_difference(str(err), store_path, cfg))
    except (ConfigError, StoreError, ExecutorError, ValueError) as err:
        _fail(str(err))
    console.print(f"{report.computed} realisations computed, {report.failed} failed, "
                  f"{report.skipped} already stored; {report.workers} worker(s), "
                  f"{report.seconds:.1f} s -> {store_path}")
    if report.failed:
        console.print("failed realisations are recorded in the store and retried by running "
                      "the same command again (those that failed before are retried last)")
    for p, i, times, message in report.repeated:
        console.print(f"[yellow]realisation {i} of point {p} has now failed in {times} runs: "
                      f"{message}[/yellow]", markup=True, highlight=False)
    if report.lost:
        console.print(f"[yellow]{report.lost} journal record(s) vanished before they were "
                      "merged (deleted during the run?): run the same command again to "
                      "recompute them[/yellow]")


@app.command()
def check(
    config: Annotated[Path, typer.Argument(help="campaign config (TOML)")],
    workers: Annotated[int | None, typer.Option(help="worker processes, as for run")] = None,
    blas_threads: Annotated[int, typer.Option(help="BLAS threads per realisation, as for "
                                                   "run")] = 1,
    calibrate: Annotated[bool, typer.Option(help="time one or two realisations here to "
                                                 "estimate run times (nothing stored)")] = True,
) -> None:
    """What a run would do, before anything runs: the points, their dimensions, memory per
    realisation, the worker plan and the estimated run time per point."""
    from mblkit.campaign.check import check_config, human_bytes, human_seconds
    from mblkit.campaign.config import ConfigError, load_config
    from mblkit.campaign.runner import output_path

    try:
        cfg, _ = load_config(config)
        report = check_config(cfg, workers, blas_threads, measure=calibrate)
    except (ConfigError, ValueError) as err:
        _fail(str(err))
    store_path = output_path(cfg, config)
    done = _completed(store_path, len(report.points))
    table = Table(title=f"{cfg.name}: {len(report.points)} points x {report.realisations} "
                        f"realisations ({report.kind}; cost law {report.law})")
    for head in ("point", "parameters", "dimension", "memory", "per realisation", "to run",
                 "point total"):
        table.add_column(head, justify="left" if head == "parameters" else "right")
    for p in report.points:
        todo = report.realisations - len(done[p.index])
        table.add_row(str(p.index), ", ".join(f"{k}={v}" for k, v in p.params.items()),
                      str(p.dim), human_bytes(p.memory), human_seconds(p.seconds), str(todo),
                      human_seconds(p.seconds * todo))
    console.print(table)
    todo_seconds = sum(p.seconds * (report.realisations - len(done[p.index]))
                       for p in report.points) / max(report.workers, 1)
    console.print(f"workers: {report.workers} x {report.blas_threads} BLAS thread(s) on "
                  f"{report.cores} cores, {human_bytes(report.available_memory)} available "
                  f"(largest realisation {human_bytes(max(p.memory for p in report.points))})")
    console.print(f"calibration: {report.calibration}")
    stored = sum(len(d) for d in done)
    console.print(f"estimated wall time: {human_seconds(todo_seconds)} for "
                  f"{len(report.points) * report.realisations - stored} realisations"
                  + (f" ({stored} already stored in {store_path})" if stored else "")
                  + "; an estimate, within a factor of about 2 on a quiet machine")


def _task_costs(cfg, store_path: Path, workers: int | None, blas_threads: int
                ) -> tuple[list[float], float]:
    """The expected cost of every realisation still to run, in run order (the ETA's weights),
    and the LAPACK floor in wall seconds per unit of cost (over the planned workers)."""
    from mblkit.campaign.check import cost_law, lapack_floor
    from mblkit.campaign.executors import plan_workers
    from mblkit.campaign.tasks import histogram_memory, point_memory, validate
    from mblkit.memory import available_memory

    points = validate(cfg)
    done = _completed(store_path, len(points))
    costs = [cost_law(cfg, pt)[0] for p, pt in enumerate(points)
             for i in range(cfg.realisations) if i not in done[p]]
    biggest = max(point_memory(cfg, pt) + histogram_memory(cfg, pt) for pt in points)
    n = plan_workers(workers, biggest, available_memory(), blas_threads)
    return costs, lapack_floor(cfg) / max(1, min(n, len(costs) or 1))


def _completed(store_path: Path, n_points: int) -> list[set[int]]:
    from mblkit.campaign.store import CampaignStore, StoreError

    try:
        st = CampaignStore.read(store_path)
        if st.n_points == n_points:
            return [st.completed(p) for p in range(n_points)]
    except (StoreError, OSError):
        pass
    return [set() for _ in range(n_points)]


def _count_stored(store_path: Path) -> int:
    from mblkit.campaign.store import CampaignStore, StoreError

    try:
        st = CampaignStore.read(store_path)
        return sum(len(st.completed(p)) for p in range(st.n_points))
    except (StoreError, OSError):
        return 0


def _with_difference(message: str, store_path: Path, cfg) -> str:
    """A config-mismatch error with the keys in which the config differs from the store's."""
    from mblkit.campaign.store import CampaignStore, StoreError
    from mblkit.campaign.suggest import config_difference

    try:
        lines = config_difference(CampaignStore.read(store_path).config_text, cfg)
    except (StoreError, OSError):
        return message
    if not lines:
        return message
    return message + "\nthe config differs from the store's in:\n" + "\n".join(
        f"  {line}" for line in lines)


def _open_store(path: Path):
    from mblkit.campaign.store import CampaignStore, StoreError

    try:
        return CampaignStore.read(path)
    except StoreError as err:
        _fail(str(err))


def _store_errors(fn):
    """Run ``fn()``; a StoreError (damaged or foreign data) ends with its message, no
    traceback."""
    from mblkit.campaign.store import StoreError

    try:
        return fn()
    except StoreError as err:
        _fail(str(err))


@app.command()
def status(store: Annotated[Path, typer.Argument(help="campaign store (.h5)")]) -> None:
    """Progress of a campaign: realisations stored per point, failures, and any damage."""
    st = _open_store(store)
    _store_errors(lambda: _status(st, store))


def _status(st, store: Path) -> None:
    from mblkit.campaign.config import parse_config

    cfg = parse_config(st.config_text)
    table = Table(title=f"{cfg.name}: {store}")
    table.add_column("point", justify="right")
    table.add_column("parameters")
    table.add_column("stored", justify="right")
    done = 0
    for p in range(st.n_points):
        n = len(st.completed(p))
        done += n
        grid_part = {k: st.point_params(p)[k] for k in cfg.model.grid}
        table.add_row(str(p), ", ".join(f"{k}={v}" for k, v in grid_part.items()),
                      f"{n}/{cfg.realisations}")
    console.print(table)
    failures = st.failures()
    console.print(f"{done}/{st.n_points * cfg.realisations} realisations stored, "
                  f"{len(failures)} failed")
    for p, i, message in failures[:10]:
        console.print(f"  point {p} realisation {i}: {message}")
    problems = st.problems()
    for message in problems:
        console.print(f"[red]damaged:[/red] {message}")
    if problems:
        raise typer.Exit(code=1)


@app.command()
def summary(store: Annotated[Path, typer.Argument(help="campaign store (.h5)")]) -> None:
    """Disorder averages with standard errors, one row per point."""
    from mblkit.campaign.config import parse_config
    from mblkit.campaign.results import point_averages

    st = _open_store(store)
    cfg = parse_config(st.config_text)
    rows = _store_errors(lambda: point_averages(st))
    names = sorted({k for r in rows for k in r["mean"]} - {"max_residual"})
    table = Table(title=f"{cfg.name}: disorder averages (mean ± standard error)")
    for head in (*cfg.model.grid, "n", *names):
        table.add_column(head, justify="right")
    for r in rows:
        cells = [str(r["params"][k]) for k in cfg.model.grid] + [str(r["n"])]
        cells += [f"{r['mean'][k]:.4g} ± {r['sem'][k]:.2g}" if k in r["mean"] else "-"
                  for k in names]
        table.add_row(*cells)
    console.print(table)


@app.command()
def plot(
    store: Annotated[Path, typer.Argument(help="campaign store (.h5)")],
    out: Annotated[Path | None, typer.Option(help="folder for the figures")] = None,
    reference: Annotated[Path | None, typer.Option(
        help="bubble campaigns: the store of the bubble-less chain (model 'xxz')")] = None,
    all_: Annotated[bool, typer.Option("--all", help="also the diagnostics (residuals, "
                                                     "sum-rule errors, pair counts)")] = False,
) -> None:
    """Figures of the stored disorder averages (PNG and PDF); diagnostics with --all."""
    from mblkit.figures.campaign import plot_campaign

    _open_store(store)
    if reference is not None:
        _open_store(reference)
    folder = out or store.with_suffix("")
    from mblkit.campaign.store import StoreError

    try:
        written = plot_campaign(store, folder, reference, diagnostics=all_)
    except (StoreError, ValueError) as err:
        _fail(str(err))
    for path in written:
        console.print(f"saved {path}")


@app.command()
def repair(store: Annotated[Path, typer.Argument(help="campaign store (.h5)")]) -> None:
    """Empty the points whose stored data fail their checksums, keeping every other result;
    running the config again then recomputes them."""
    from mblkit.campaign.store import CampaignStore

    damaged = _store_errors(lambda: CampaignStore.repair(store))
    if not damaged:
        console.print(f"{store}: every point passed its checksums; nothing changed")
        return
    console.print(f"{store}: emptied the damaged point(s) {damaged}; run the config again to "
                  "recompute them")
