"""Alerting policy as data: the multiwindow, multi-burn-rate table.

Source: Google SRE workbook, chapter "Alerting on SLOs", Table 5-8 (99.9 % SLO over
30 days), plus the 1d/2h ticket pair of the chapter's Prometheus example.  Windows
are stated for a 30-day period and scaled to the catalog's ``slo_period`` so that
each alert still fires after the same share of the error budget is spent
(budget consumed = burn_rate x long_window / period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from obsgen import conventions as C

REFERENCE_PERIOD = timedelta(days=30)
#: rate() needs at least two samples in its window; three scrape intervals leave room for jitter.
MIN_SCRAPES_PER_WINDOW = 3


@dataclass(frozen=True)
class BurnRateWindow:
    severity: str
    long: timedelta
    short: timedelta
    burn_rate: float

    def scaled(self, period: timedelta) -> BurnRateWindow:
        factor = period / REFERENCE_PERIOD
        return BurnRateWindow(
            self.severity,
            _whole_seconds(self.long * factor),
            _whole_seconds(self.short * factor),
            self.burn_rate,
        )

    def budget_consumed(self, period: timedelta) -> float:
        """Share of the period's error budget spent when this alert fires."""
        return self.burn_rate * (self.long / period)


#: Table 5-8 of the SRE workbook, for a 30-day period.
BURN_RATE_WINDOWS: tuple[BurnRateWindow, ...] = (
    BurnRateWindow(C.SEVERITY_PAGE, timedelta(hours=1), timedelta(minutes=5), 14.4),
    BurnRateWindow(C.SEVERITY_PAGE, timedelta(hours=6), timedelta(minutes=30), 6.0),
    BurnRateWindow(C.SEVERITY_TICKET, timedelta(days=1), timedelta(hours=2), 3.0),
    BurnRateWindow(C.SEVERITY_TICKET, timedelta(days=3), timedelta(hours=6), 1.0),
)


def _whole_seconds(value: timedelta) -> timedelta:
    return timedelta(seconds=max(1, round(value.total_seconds())))


def windows_for(period: timedelta) -> tuple[BurnRateWindow, ...]:
    """The burn-rate table scaled to ``period``."""
    return tuple(w.scaled(period) for w in BURN_RATE_WINDOWS)


def shortest_window(period: timedelta) -> timedelta:
    return min(w.short for w in windows_for(period))


def period_problem(period: timedelta, scrape_interval: timedelta) -> str | None:
    """Why ``period`` cannot be alerted on at ``scrape_interval``, or None when it can."""
    short = shortest_window(period)
    if short < scrape_interval * MIN_SCRAPES_PER_WINDOW:
        need = REFERENCE_PERIOD * (scrape_interval * MIN_SCRAPES_PER_WINDOW / BURN_RATE_WINDOWS[0].short)
        return (
            f"the shortest alert window for this SLO period would be {short}, under "
            f"{MIN_SCRAPES_PER_WINDOW} scrape intervals ({scrape_interval}); use an slo_period of at least "
            f"{need} or a shorter prometheus.scrape_interval"
        )
    return None
