"""`callvault report`: contact-center KPIs, the volume heatmap, intervals, outcomes and
marketing, in the terminal (tables) or as CSV / JSON."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from callvault.analytics import query, rollups
from callvault.analytics.kpis import AnalyticsError, Kpi, KpiSettings, center_settings, select
from callvault.commands.common import (
    TIME_FORMS,
    journal_options,
    open_journal,
    parse_time,
    settings_from,
)

F = TypeVar("F", bound=Callable[..., Any])

TABLE_KPIS = ("offered", "answered", "abandon_rate", "service_level", "asa_s", "avg_handle_s",
              "transfer_rate", "resolution_rate", "fcr_24h", "csat_avg")
"""The KPIs of a grouped table when --kpi is not given (csv and json: all)."""
DEFAULT_DAYS = 30
NONE = "-"
Chosen = dict[str, list[str]]
"""--filter's dimensions and their values."""


class CenterTime(click.ParamType):
    """A moment (see TIME_FORMS); dates and times without a zone are the center's."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return str(value)


def _moment(text: str | None, settings: KpiSettings, default: float) -> float:
    if text is None:
        return default
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        naive = None
    try:
        if naive is not None and naive.tzinfo is None:
            return naive.replace(tzinfo=settings.zone).timestamp()
        return parse_time(text, datetime.now().astimezone()).timestamp()
    except (ValueError, OverflowError, OSError):
        raise click.BadParameter(f"{text!r} is not a time; use {TIME_FORMS}") from None


def _parse_filters(ctx: click.Context, param: click.Parameter,
                   value: tuple[str, ...]) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for item in value:
        dimension, sep, wanted = item.partition("=")
        dimension = dimension.strip().replace("-", "_")
        if not sep or not wanted.strip():
            raise click.BadParameter(f"{item!r}: write DIMENSION=VALUE, e.g. team=Sales")
        if dimension not in query.FILTERS:
            raise click.BadParameter(
                f"{dimension!r} is not a filter: one of {', '.join(query.FILTERS)}")
        chosen.setdefault(dimension, []).append(wanted.strip())
    return chosen


def _common(command: F) -> F:
    options = [
        click.option("--since", type=CenterTime(),
                     help=f"Calls that started at or after [default: {DEFAULT_DAYS} days ago]. "
                     "Dates without a zone are the center's."),
        click.option("--until", type=CenterTime(),
                     help="Calls that started before [default: now]."),
        click.option("--timezone", metavar="ZONE",
                     help="The center's IANA time zone [env CALLVAULT_TIMEZONE; default UTC]."),
        click.option("--filter", "chosen", multiple=True, metavar="DIMENSION=VALUE",
                     callback=_parse_filters,
                     help="Only calls of this team, department, queue, agent (id or name), "
                     "direction, channel, campaign or tracked_number; repeat: values of one "
                     "dimension are ORed, dimensions ANDed."),
        click.option("--format", "output", type=click.Choice(["table", "csv", "json"]),
                     default="table", show_default=True),
    ]
    for option in reversed(options):
        command = option(command)
    return journal_options(command)


def _context(since: str | None, until: str | None, timezone: str | None,
             **overrides: Any) -> tuple[KpiSettings, float, float]:
    try:
        settings = center_settings(timezone=timezone, **overrides)
    except AnalyticsError as exc:
        raise click.UsageError(str(exc)) from None
    now = datetime.now(settings.zone)
    end = _moment(until, settings, now.timestamp())
    start = _moment(since, settings, end - DEFAULT_DAYS * 86400)
    return settings, start, end


def _focus(engine: Any, chosen: dict[str, list[str]]) -> query.Filters:
    return _run(lambda: query.filters(engine, chosen))


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except AnalyticsError as exc:
        raise click.UsageError(str(exc)) from None


class _ReportGroup(click.Group):
    """``callvault report [OPTIONS]`` is ``callvault report kpis [OPTIONS]``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["kpis", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_ReportGroup)
def report() -> None:
    """Contact-center KPIs from the journal (docs/analytics.md says what each counts).

    \b
    callvault report --by agent --since 2025-01-01 --until 2026-01-01
    callvault report --by hour --kpi offered --kpi service_level --format csv
    callvault report heatmap | intervals | staffing | outcomes | marketing | rebuild
    """


@report.command("kpis")
@click.option("--by", type=click.Choice(query.GROUPINGS), default="center", show_default=True,
              help="Group by this dimension (dates, hours, weekdays in the center's zone).")
@click.option("--kpi", "names", multiple=True, metavar="NAME",
              help="A KPI to show (repeatable); `callvault report kpis --list` names them.")
@click.option("--service-level", "service_level_s", type=click.IntRange(0, 3600),
              help="Service level: answered within N seconds [env CALLVAULT_SERVICE_LEVEL_S; 20].")
@click.option("--short-abandon", "short_abandon_s", type=click.IntRange(0, 3600),
              help="Abandons within N seconds are not offered [env CALLVAULT_SHORT_ABANDON_S; 5].")
@click.option("--list", "listing", is_flag=True, help="List the KPIs and exit.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw the KPIs (--kpi; default offered and answered) per group as a "
                   "trend to this PNG or SVG file (with --by date, hour, weekday…).")
@_common
def kpis(by: str, names: tuple[str, ...], service_level_s: int | None,
         short_abandon_s: int | None, listing: bool, chart: Path | None, since: str | None,
         until: str | None, timezone: str | None, chosen: Chosen, output: str,
         data_dir: Path | None, db: str | None) -> None:
    """KPIs of the contacts that started in the range, per group and in total."""
    if listing:
        for kpi in select(None):
            click.echo(f"{kpi.name:22} v{kpi.version}  {kpi.unit:9} {kpi.label}")
        return
    settings, start, end = _context(since, until, timezone, service_level_s=service_level_s,
                                    short_abandon_s=short_abandon_s)
    picked = select(list(names)) if names else None
    if chart is not None and by == "center":
        raise click.UsageError("--chart draws a trend per group: add --by date (or hour, …)")
    with open_journal(settings_from(data_dir, db)) as journal:
        focus = _focus(journal.engine, chosen)
        found = _run(lambda: query.kpis(journal.engine, start, end, by=by, settings=settings,
                                        names=[k.name for k in picked] if picked else None,
                                        filters=focus))
    if chart is not None:
        drawn = found.kpis if names else select(["offered", "answered"])
        _draw_trend(
            chart,
            [row.label for row in found.rows],
            {kpi.label: [_number(row.values.get(kpi.name)) for row in found.rows]
             for kpi in drawn},
            f"{_when(start, settings)} – {_when(end, settings)} ({settings.timezone}) by {by}",
            drawn[0].unit if len({k.unit for k in drawn}) == 1 else "",
        )
    if output == "json":
        click.echo(json.dumps({
            "by": by, "since": start, "until": end, "timezone": settings.timezone,
            "source": found.source,
            "kpis": [{"name": k.name, "version": k.version, "unit": k.unit} for k in found.kpis],
            "rows": [{"key": r.key, "label": r.label, "values": r.values} for r in found.rows],
            "total": found.total.values,
        }, indent=2))
        return
    if output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow([by, *(k.name for k in found.kpis)])
        for row in [*found.rows, found.total]:
            writer.writerow([row.label, *(_csv(row.values[k.name]) for k in found.kpis)])
        return
    shown = found.kpis if names or by == "center" else select(list(TABLE_KPIS))
    title = (f"{_when(start, settings)} – {_when(end, settings)} ({settings.timezone}), "
             f"service level {settings.service_level_s} s")
    if by == "center":
        table = Table(title=title)
        table.add_column("KPI")
        table.add_column("Value", justify="right")
        for kpi in shown:
            table.add_row(kpi.label, _cell(kpi, found.total.values[kpi.name]))
    else:
        table = Table(title=title)
        table.add_column(by.replace("_", " ").capitalize())
        for kpi in shown:
            table.add_column(kpi.label, justify="right")
        for row in found.rows:
            table.add_row(row.label, *(_cell(k, row.values[k.name]) for k in shown))
        table.add_section()
        table.add_row("All", *(_cell(k, found.total.values[k.name]) for k in shown))
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@report.command("heatmap")
@click.option("--png", "png", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw the heatmap to this PNG (or .svg) file.")
@_common
def heatmap(png: Path | None, since: str | None, until: str | None, timezone: str | None,
            chosen: Chosen, output: str, data_dir: Path | None, db: str | None) -> None:
    """Offered inbound calls per weekday and hour of day (peak hours)."""
    settings, start, end = _context(since, until, timezone)
    with open_journal(settings_from(data_dir, db)) as journal:
        focus = _focus(journal.engine, chosen)
        grid = _run(lambda: query.heatmap(journal.engine, start, end, settings=settings,
                                          filters=focus))
    if png is not None:
        _draw_heatmap(grid, png, f"Offered calls, {_when(start, settings)} – "
                      f"{_when(end, settings)} ({settings.timezone})")
    if output == "json":
        click.echo(json.dumps({"weekdays": query.WEEKDAYS, "offered": grid}))
    elif output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["weekday", *range(24)])
        for day, row in zip(query.WEEKDAYS, grid, strict=True):
            writer.writerow([day, *row])
    else:
        table = Table(title="Offered calls by weekday and hour")
        table.add_column("")
        for hour in range(24):
            table.add_column(f"{hour:02d}", justify="right")
        for day, row in zip(query.WEEKDAYS, grid, strict=True):
            table.add_row(day[:3], *(str(n) if n else "·" for n in row))
        Console(width=None if sys.stdout.isatty() else 200).print(table)


def _draw_heatmap(grid: list[list[int]], path: Path, title: str) -> None:
    from callvault.analytics import charts

    try:
        charts.heatmap(path, grid, title=title, unit="offered calls")
    except (ValueError, OSError) as exc:
        raise click.UsageError(f"cannot draw {path}: {exc}") from None
    click.echo(f"wrote {path}", err=True)


def _draw_trend(path: Path, labels: list[str], series: dict[str, list[float]], title: str,
                unit: str) -> None:
    from callvault.analytics import charts

    try:
        charts.trend(path, labels, series, title=title, unit=unit)
    except (ValueError, OSError) as exc:
        raise click.UsageError(f"cannot draw {path}: {exc}") from None
    click.echo(f"wrote {path}", err=True)


def _number(value: object) -> float:
    """A KPI value as a chart's number: no value (nothing to measure) is drawn as 0."""
    return float(value) if isinstance(value, int | float) else 0.0


@report.command("intervals")
@click.option("--minutes", type=click.Choice(["15", "30", "60"]), default="60", show_default=True)
@_common
def intervals(minutes: str, since: str | None, until: str | None, timezone: str | None,
              chosen: Chosen, output: str, data_dir: Path | None, db: str | None) -> None:
    """Arrivals, answers, abandons, handle time and service level per interval."""
    settings, start, end = _context(since, until, timezone)
    with open_journal(settings_from(data_dir, db)) as journal:
        focus = _focus(journal.engine, chosen)
        found = _run(lambda: query.intervals(journal.engine, start, end, minutes=int(minutes),
                                             settings=settings, filters=focus))
    fields = ["start", "offered", "answered", "abandoned", "avg_handle_s", "avg_patience_s",
              "service_level"]
    records = [{f: getattr(i, f) for f in fields} for i in found]
    for record in records:
        record["start"] = _when(record["start"], settings, minutes=True)
    _records(records, fields, output, "Intervals")


@report.command("staffing")
@click.option("--target", "target_sl", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.8, show_default=True, help="Service level to reach (0.8 for 80 %).")
@click.option("--answer-within", type=click.FloatRange(min=0), default=20.0, show_default=True,
              help="… answered within this many seconds.")
@click.option("--shrinkage", type=click.FloatRange(0, 1, max_open=True), default=0.0,
              show_default=True, help="Share of paid time agents are off the phones.")
@click.option("--max-occupancy", type=click.FloatRange(0, 1, min_open=True),
              help="Highest share of agent time on calls.")
@_common
def staffing(target_sl: float, answer_within: float, shrinkage: float,
             max_occupancy: float | None, since: str | None, until: str | None,
             timezone: str | None, chosen: Chosen, output: str, data_dir: Path | None,
             db: str | None) -> None:
    """Agents needed per hour of a typical week of the range (Erlang C / Erlang A)."""
    from callvault.analytics.staffing import StaffingTarget

    settings, start, end = _context(since, until, timezone)
    try:
        target = StaffingTarget(service_level=target_sl, answer_within_s=answer_within,
                                shrinkage=shrinkage, max_occupancy=max_occupancy)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with open_journal(settings_from(data_dir, db)) as journal:
        focus = _focus(journal.engine, chosen)
        profile = _run(lambda: query.weekly_profile(journal.engine, start, end,
                                                    settings=settings, filters=focus))
    plan = query.staffing_plan(profile, target)
    fields = ["interval", "calls_per_week", "aht_s", "model", "agents", "scheduled",
              "service_level", "asa_s", "occupancy"]
    records = [{
        "interval": r.interval.label, "calls_per_week": r.interval.calls,
        "aht_s": r.interval.aht_s, "model": r.model, "agents": r.agents,
        "scheduled": r.scheduled, "service_level": r.service_level,
        "asa_s": r.average_speed_of_answer, "occupancy": r.occupancy,
    } for r in plan if r.interval.calls > 0 or output != "table"]
    _records(records, fields, output, f"Staffing for {100 * target_sl:.0f}/{answer_within:g}")


@report.command("outcomes")
@_common
def outcomes(since: str | None, until: str | None, timezone: str | None, chosen: Chosen,
             output: str, data_dir: Path | None, db: str | None) -> None:
    """How many contacts ended with each outcome."""
    settings, start, end = _context(since, until, timezone)
    with open_journal(settings_from(data_dir, db)) as journal:
        focus = _focus(journal.engine, chosen)
        found = _run(lambda: query.outcomes(journal.engine, start, end, settings=settings,
                                            filters=focus))
    records = [{"outcome": o or "(none)", "calls": n} for o, n in found]
    _records(records, ["outcome", "calls"], output, "Outcomes")


@report.command("marketing")
@click.option("--by", type=click.Choice(["channel", "campaign"]), default="channel",
              show_default=True)
@click.option("--deal-value", type=click.FloatRange(min=0),
              help="What a deal is worth, for ROI [env CALLVAULT_DEAL_VALUE].")
@_common
def marketing(by: str, deal_value: float | None, since: str | None, until: str | None,
              timezone: str | None, chosen: Chosen, output: str, data_dir: Path | None,
              db: str | None) -> None:
    """Calls, conversions, cost per call and ROI per marketing channel or campaign."""
    settings, start, end = _context(since, until, timezone, deal_value=deal_value)
    with open_journal(settings_from(data_dir, db)) as journal:
        focus = _focus(journal.engine, chosen)
        found = _run(lambda: query.marketing(journal.engine, start, end, by=by,
                                             settings=settings, filters=focus))
    fields = ["key", "calls", "answered", "conversions", "cost", "currency", "cost_per_call",
              "cost_per_conversion", "conversion_rate", "roi"]
    _records([{f: getattr(r, f) for f in fields} for r in found], fields, output,
             f"Marketing by {by}")


@report.command("rebuild")
@click.option("--timezone", metavar="ZONE", help="The center's IANA time zone.")
@journal_options
def rebuild(timezone: str | None, data_dir: Path | None, db: str | None) -> None:
    """Make the KPI rollups again from every call (after changing the center's settings)."""
    settings, _, _ = _context(None, None, timezone)
    with open_journal(settings_from(data_dir, db)) as journal:
        hours = rollups.rebuild(journal.engine, settings)
    click.echo(f"rolled up {hours:,} hours of calls ({settings.timezone})")


def _records(records: Sequence[dict[str, Any]], fields: list[str], output: str,
             title: str) -> None:
    if output == "json":
        click.echo(json.dumps(records, indent=2))
    elif output == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: _csv(v) for k, v in r.items()} for r in records)
    else:
        table = Table(title=title)
        for field in fields:
            left = field in ("key", "outcome", "start", "currency", "interval", "model")
            table.add_column(field.replace("_", " "), justify="left" if left else "right")
        for record in records:
            table.add_row(*(_plain(record[f]) for f in fields))
        Console(width=None if sys.stdout.isatty() else 200).print(table)


def _cell(kpi: Kpi, value: float | int | None) -> str:
    if value is None:
        return NONE
    match kpi.unit:
        case "share":
            return f"{100 * value:.1f} %"
        case "seconds":
            return f"{value:.1f} s"
        case "calls":
            return f"{int(value):,}"
        case "percent":
            return f"{value:.2f} %"
        case _:
            return f"{value:.2f}"


def _plain(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _csv(value: Any) -> Any:
    return "" if value is None else value


def _when(moment: float, settings: KpiSettings, *, minutes: bool = False) -> str:
    local = datetime.fromtimestamp(moment, settings.zone)
    if minutes or local.time() != datetime.min.time():
        return local.strftime("%Y-%m-%d %H:%M")
    return local.date().isoformat()


COMMANDS = [report]
