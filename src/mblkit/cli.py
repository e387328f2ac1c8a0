"""The ``mblkit`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
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
) -> None:
    """Run (or resume) a campaign: every missing realisation, committed one by one."""
    from mblkit.campaign.config import ConfigError, load_config
    from mblkit.campaign.executors import ExecutorError, dask_security
    from mblkit.campaign.runner import output_path, run_campaign
    from mblkit.campaign.store import StoreError

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
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
               TextColumn("failures: {task.fields[failures]}"))
    try:
        cfg, text = load_config(config)
        store_path = output_path(cfg, config)
        with Progress(*columns, console=console) as bar:
            task = bar.add_task(cfg.name, total=None, rate="", failures=0)
            started: list[float] = []

            def update(done: int, total: int, failures: int) -> None:
                import time

                now = time.perf_counter()
                if not started:
                    started.extend([now, done])
                elapsed = now - started[0]
                rate = (done - started[1]) / elapsed if elapsed > 0 else 0.0
                bar.update(task, completed=done, total=total, failures=failures,
                           rate=f"{rate:.2f}/s")

            report = run_campaign(cfg, text, store_path, executor, workers, scheduler, update,
                                  consolidate_seconds=merge_every,
                                  blas_threads=blas_threads, security=security,
                                  dashboard=dashboard, notice=bar.console.print)
    except (ConfigError, StoreError, ExecutorError, ValueError) as err:
        _fail(str(err))
    console.print(f"{report.computed} realisations computed, {report.failed} failed, "
                  f"{report.skipped} already stored; {report.workers} worker(s), "
                  f"{report.seconds:.1f} s -> {store_path}")
    if report.failed:
        console.print("failed realisations are recorded in the store and retried by running "
                      "the same command again")
    if report.lost:
        console.print(f"[yellow]{report.lost} journal record(s) vanished before they were "
                      "merged (deleted during the run?): run the same command again to "
                      "recompute them[/yellow]")


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
) -> None:
    """Figures of the stored disorder averages (PNG and PDF)."""
    from mblkit.figures.campaign import plot_campaign

    _open_store(store)
    if reference is not None:
        _open_store(reference)
    folder = out or store.with_suffix("")
    from mblkit.campaign.store import StoreError

    try:
        written = plot_campaign(store, folder, reference)
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
