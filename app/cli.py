"""The `lotse` command: build the graph cache, serve the app."""

from __future__ import annotations

import gc
import json
import multiprocessing
import sys
from pathlib import Path

import click

from app.core.config import setting
from routing.errors import LotseError
from routing.phrases import LANGUAGES

osm_option = click.option(
    "--osm", "osm_file", multiple=True,
    help="OpenStreetMap file (.osm.pbf, .osm, .osm.gz, .osm.bz2); several towns: repeat --osm or separate the "
         "files by commas, served as one region. LOTSE_OSM may name them instead.",
)
place_option = click.option(
    "--place", help='Download a place through osmnx instead, e.g. "Kaiserslautern, Germany".'
)
origin_option = click.option("--from", "origin", required=True, help="Start as LAT,LON.")
destination_option = click.option("--to", "destination", required=True, help="Destination as LAT,LON.")
cache_option = click.option(
    "--cache-dir", type=click.Path(path_type=Path), help="Where built graphs are kept; LOTSE_CACHE_DIR may name it."
)


def _map_source(osm_file: tuple[str, ...], place: str | None, cache_dir: Path | None = None,
                required: bool = True) -> tuple[list[Path] | None, str | None, Path | None]:
    """The map files, place and cache folder: the options, else the settings (`LOTSE_OSM`, ...)."""
    from routing.cache import map_files

    files = map_files(setting("OSM", list(osm_file) or None))
    place = setting("PLACE", place)
    cache = setting("CACHE_DIR", cache_dir)
    if required and not files and not place:
        raise click.UsageError("Give a map: --osm FILE (or LOTSE_OSM=FILE), or --place NAME when online.")
    return (files or None), place, (Path(cache) if cache is not None else None)


@click.group()
def main() -> None:
    """Lotse: walking navigation for blind and visually impaired people."""


@main.command("import")
@osm_option
@place_option
@cache_option
def import_command(osm_file: tuple[str, ...], place: str | None, cache_dir: Path | None) -> None:
    """Build the walk graph of a map and cache it; prints what was found."""
    from routing.cache import BUILD_STAGES, data_version, load_graph

    osm_file, place, cache_dir = _map_source(osm_file, place, cache_dir)
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
    click.echo(json.dumps({"cache_file": graph.meta["cache_file"], "data_version": data_version(graph), **graph.stats(),
                           "areas": graph.meta.get("areas", [])}, indent=2, ensure_ascii=False))


@main.command()
@osm_option
@place_option
@cache_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(osm_file: tuple[str, ...], place: str | None, cache_dir: Path | None, host: str, port: int) -> None:
    """Serve the app and its API on a map (gunicorn; LOTSE_SERVER_* settings)."""
    # Most of what is made from here to the fork lives as long as the process (the graph, the planner, the app): no
    # collection until gunicorn's `load` collects once and freezes it all (Python's gc docs: disable early in the
    # parent, freeze before fork). Collections while the app was built walked the growing heap again and again,
    # a tenth of the start's CPU time.
    gc.disable()
    from routing.cache import build_cache, cached_graph, load_graph

    osm_file, place, cache_dir = _map_source(osm_file, place, cache_dir)
    try:
        graph = cached_graph(osm_file, place, cache_dir)
        if graph is None:
            click.echo("Building the walk graph (once per map)...", err=True)
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                pool.apply(build_cache, (osm_file, place, cache_dir))
            graph = load_graph(osm_file, place, cache_dir)
    except LotseError as exc:
        raise click.ClickException(str(exc)) from None

    def make_app():
        """The app on the graph; gunicorn calls this once, after gevent's patching, before forking the workers."""
        from app import create_app

        click.echo(f"Lotse serves {graph.meta['source']} on http://{host}:{port}/", err=True)
        # The map source goes into the settings too, so POST /api/staff/map/reload reads the same files again.
        return create_app({"OSM": [str(path) for path in osm_file] if osm_file else None, "PLACE": place,
                           "CACHE_DIR": str(cache_dir) if cache_dir else None}, graph=graph)

    from app.core import server

    server.run(make_app, host, port)


def _latlon(value: str) -> tuple[str, str]:
    parts = value.split(",")
    if len(parts) != 2:
        raise click.BadParameter(f"expected LAT,LON, got {value!r}")
    return parts[0].strip(), parts[1].strip()


@main.command()
@osm_option
@place_option
@cache_option
@origin_option
@destination_option
@click.option("--profile", default="blind", show_default=True, help="blind, guide_dog, low_vision or standard.")
@click.option("--prefs", default=None, help='Preference overrides as JSON, e.g. \'{"steps": "never"}\'.')
@click.option("--lang", type=click.Choice(LANGUAGES), default=LANGUAGES[0], show_default=True)
def route(osm_file: tuple[str, ...], place: str | None, cache_dir: Path | None, origin: str, destination: str,
          profile: str, prefs: str | None, lang: str) -> None:
    """Plan a route and print it as the API returns it (JSON)."""
    from routing.cache import load_graph
    from routing.plan import plan_route
    from routing.planner import Planner
    from routing.spatial import EdgeIndex

    osm_file, place, cache_dir = _map_source(osm_file, place, cache_dir)
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


# ------------------------------------------------------------------------------ database, staff, osmChange
database_option = click.option(
    "--database-url",
    help="SQLAlchemy URL of the database (LOTSE_DATABASE_URL); default: SQLite in the instance folder.",
)


def _engine(database_url: str | None):
    """The engine of the database `lotse serve` would use, with its schema up to date."""
    from flask import Flask

    from app.core import db

    url = setting("DATABASE_URL", database_url) or db.default_url(Flask("app").instance_path)
    engine = db.make_engine(url)
    db.upgrade(engine)
    return engine


@main.group("db")
def db_group() -> None:
    """The database of accounts, reports and quest answers."""


@db_group.command("upgrade")
@database_option
def db_upgrade(database_url: str | None) -> None:
    """Bring the database schema up to date (`lotse serve` does this on start, too)."""
    engine = _engine(database_url)
    click.echo(f"Database schema is up to date: {engine.url.render_as_string(hide_password=True)}", err=True)


@main.command("create-staff")
@database_option
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def create_staff(database_url: str | None, email: str, name: str, password_stdin: bool) -> None:
    """Create a staff account (staff may resolve and reject reports)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.community.accounts import check_name, check_password, normalise_email
    from app.core.models import User
    from app.core.security import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        email, name, password = normalise_email(email), check_name(name), check_password(password)
    except LotseError as exc:
        if exc.code == "weak_password":
            raise click.ClickException(f"The password must be {exc.params['min_length']} to "
                                       f"{exc.params['max_length']} characters long.") from None
        raise click.ClickException(str(exc)) from None
    with Session(_engine(database_url)) as session, session.begin():
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise click.ClickException(f"An account with the email {email} exists already.")
        user = User(email=email, name=name, password_hash=hash_password(password), role="staff")
        session.add(user)
        session.flush()
        click.echo(json.dumps(user.to_dict(), ensure_ascii=False))


@main.command("export-osmchange")
@osm_option
@database_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The osmChange file.")
def export_osmchange(osm_file: tuple[str, ...], database_url: str | None, out: Path) -> None:
    """Write the accepted volunteer facts as an osmChange file for a mapper to review and upload."""
    from sqlalchemy.orm import Session

    from app.community.facts import accepted_facts
    from routing.osmchange import write_osmchange

    files = _map_source(osm_file, None, required=False)[0]
    if files is None or len(files) != 1:
        raise click.UsageError("Give the one map file the facts were collected on: --osm FILE (or LOTSE_OSM=FILE).")
    osm_file = files[0]
    with Session(_engine(database_url)) as session:
        facts = accepted_facts(session)
    try:
        counts = write_osmchange(osm_file, facts, out)
    except LotseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"out": str(out), "facts": len(facts), **counts}))


@main.command()
@osm_option
@place_option
@cache_option
@origin_option
@destination_option
@click.option("--noise", default=8.0, show_default=True, help="GPS noise, metres (standard deviation).")
@click.option("--speed", default=1.3, show_default=True, help="Walking speed, metres a second.")
@click.option("--detour-at", "detour_at", type=float, default=None, help="Take a 50 m wrong turn after M metres.")
@click.option("--profile", default="blind", show_default=True)
@click.option("--lang", type=click.Choice(LANGUAGES), default=LANGUAGES[0], show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--url", default=None, help="A running server (ws://host:port); default: start one here.")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def simulate(osm_file: tuple[str, ...], place: str | None, cache_dir: Path | None, origin: str, destination: str,
             noise: float, speed: float, detour_at: float | None, profile: str, lang: str, seed: int,
             url: str | None, quiet: bool) -> None:
    """Walk a route through the live-guidance WebSocket with GPS noise; print each message and a JSON summary."""
    from dataclasses import asdict

    from app.walker import simulate as simulation

    stop = None
    if url is None:
        from app import create_app
        from routing.cache import load_graph

        osm_file, place, cache_dir = _map_source(osm_file, place, cache_dir)
        try:
            graph = load_graph(osm_file, place, cache_dir)
        except LotseError as exc:
            raise click.ClickException(str(exc)) from None
        # A replay sends fixes faster than a phone: lift the flood limit for this private server.
        app = create_app({"LIVE_FRAMES_PER_SECOND": 100_000}, graph=graph)
        url, stop = simulation.serve_in_thread(app)
    start, end = _latlon(origin), _latlon(destination)
    try:
        summary = simulation.simulate(
            url, (float(start[0]), float(start[1])), (float(end[0]), float(end[1])), noise, speed, detour_at, seed,
            profile, lang, None if quiet else lambda message: click.echo(json.dumps(message, ensure_ascii=False)),
        )
    except ValueError as exc:
        raise click.ClickException(f"Coordinates must be numbers: {exc}") from None
    finally:
        if stop is not None:
            stop()
    click.echo(json.dumps(asdict(summary), indent=2))
