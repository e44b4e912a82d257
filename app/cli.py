"""The `lotse` command: build the graph cache, serve the app."""

from __future__ import annotations

import json
import multiprocessing
import sys
from pathlib import Path

import click

from routing.errors import LotseError

osm_option = click.option(
    "--osm", "osm_file", type=click.Path(path_type=Path), envvar="LOTSE_OSM",
    help="OpenStreetMap XML file (.osm, .osm.gz, .osm.bz2); LOTSE_OSM may name it instead.",
)
place_option = click.option(
    "--place", envvar="LOTSE_PLACE", help='Download a place through osmnx instead, e.g. "Kaiserslautern, Germany".'
)
cache_option = click.option(
    "--cache-dir", type=click.Path(path_type=Path), envvar="LOTSE_CACHE_DIR", help="Where built graphs are kept."
)


def _require_source(osm_file: Path | None, place: str | None) -> None:
    if osm_file is None and not place:
        raise click.UsageError("Give a map: --osm FILE (or LOTSE_OSM=FILE), or --place NAME when online.")


def _build_into_cache(osm_file: Path | None, place: str | None, cache_dir: Path | None) -> None:
    """Run in a child process so the server never imports the build's heavy libraries."""
    from routing.cache import load_graph

    load_graph(osm_file, place, cache_dir)


@click.group()
def main() -> None:
    """Lotse: walking navigation for blind and visually impaired people."""


@main.command("import")
@osm_option
@place_option
@cache_option
def import_command(osm_file: Path | None, place: str | None, cache_dir: Path | None) -> None:
    """Build the walk graph of a map and cache it; prints what was found."""
    from routing.cache import BUILD_STAGES, cache_path, load_graph

    _require_source(osm_file, place)
    try:
        with click.progressbar(length=len(BUILD_STAGES), label="Building walk graph", file=sys.stderr) as bar:
            stages_done = []

            def progress(stage: str) -> None:
                if stages_done:
                    bar.update(1)
                stages_done.append(stage)
                bar.label = f"Building walk graph: {stage}"

            graph = load_graph(osm_file, place, cache_dir, progress=progress)
            bar.update(len(BUILD_STAGES) - bar.pos)
    except LotseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"cache_file": graph.meta["cache_file"], **graph.stats()}, indent=2, ensure_ascii=False))


@main.command()
@osm_option
@place_option
@cache_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(osm_file: Path | None, place: str | None, cache_dir: Path | None, host: str, port: int) -> None:
    """Serve the app and its API on a map."""
    from app import create_app
    from routing.cache import cached_graph, load_graph

    _require_source(osm_file, place)
    try:
        graph = cached_graph(osm_file, place, cache_dir)
        if graph is None:
            click.echo("Building the walk graph (once per map)...", err=True)
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                pool.apply(_build_into_cache, (osm_file, place, cache_dir))
            graph = load_graph(osm_file, place, cache_dir)
    except LotseError as exc:
        raise click.ClickException(str(exc)) from None
    app = create_app(graph=graph)
    click.echo(f"Lotse serves {graph.meta['source']} on http://{host}:{port}/", err=True)
    app.run(host=host, port=port, threaded=True)


def _latlon(value: str) -> tuple[str, str]:
    parts = value.split(",")
    if len(parts) != 2:
        raise click.BadParameter(f"expected LAT,LON, got {value!r}")
    return parts[0].strip(), parts[1].strip()


@main.command()
@osm_option
@place_option
@cache_option
@click.option("--from", "origin", required=True, help="Start as LAT,LON.")
@click.option("--to", "destination", required=True, help="Destination as LAT,LON.")
@click.option("--profile", default="blind", show_default=True, help="blind, guide_dog, low_vision or standard.")
@click.option("--prefs", default=None, help='Preference overrides as JSON, e.g. \'{"steps": "never"}\'.')
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
def route(osm_file: Path | None, place: str | None, cache_dir: Path | None, origin: str, destination: str,
          profile: str, prefs: str | None, lang: str) -> None:
    """Plan a route and print it as the API returns it (JSON)."""
    from routing.cache import load_graph
    from routing.plan import plan_route
    from routing.planner import Planner
    from routing.spatial import EdgeIndex

    _require_source(osm_file, place)
    try:
        overrides = json.loads(prefs) if prefs else None
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"--prefs is not JSON: {exc}") from None
    try:
        graph = load_graph(osm_file, place, cache_dir)
        planner = Planner(graph, EdgeIndex(graph))
        planned = plan_route(planner, _latlon(origin), _latlon(destination), profile, overrides, lang)
    except LotseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(planned.to_dict(), indent=2, ensure_ascii=False))
