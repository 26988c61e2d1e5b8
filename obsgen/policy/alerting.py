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


# --- Added for alert rules (obsgen.generate.alerting) ---------------------------------

#: The one window read from raw counters: rate() over this many scrape intervals (Prometheus'
#: advice is at least four, so a missed scrape still leaves enough samples).  Every alert window
#: is derived from this recording with avg_over_time, so raw series are read over 1 minute only.
BASE_WINDOW_SCRAPES = 4

#: Recording rules and alerts that only tickets need run in a slower group: a ticket that waits
#: up to five more minutes wakes nobody, and the long windows it reads are the expensive ones.
SLOW_GROUP_INTERVAL = timedelta(minutes=5)

#: Highest error ratio an alert may require.  burn_rate x (1 - objective) exceeds 1 for low
#: objectives (14.4 x 10 % = 144 % at 90 %): such an alert could never fire, not even on a total
#: outage.  Capping at "half of the requests fail" keeps every alert reachable; a total outage then
#: pages after cap x long window (28 min on the 56 min window of a 28-day period).
MAX_ERROR_RATIO_THRESHOLD = 0.5

#: ServiceTargetsDown / ServiceAbsent wait this many scrape intervals: one failed scrape is a
#: blip (a GC pause, a slow network), three in a row is an outage.
TARGETS_DOWN_SCRAPES = 3


def base_window(scrape_interval: timedelta, evaluation_interval: timedelta, period: timedelta) -> timedelta:
    """The raw rate() window every alert window is derived from.

    At least BASE_WINDOW_SCRAPES scrapes and one evaluation interval (so consecutive recordings
    overlap and avg_over_time sees every moment), never longer than the shortest alert window.
    """
    wanted = max(scrape_interval * BASE_WINDOW_SCRAPES, evaluation_interval)
    return min(wanted, shortest_window(period))


def error_ratio_threshold(burn_rate: float, error_budget: float) -> float:
    """The error ratio at which an alert of ``burn_rate`` fires, capped so that it stays reachable."""
    return min(burn_rate * error_budget, MAX_ERROR_RATIO_THRESHOLD)


def targets_down_for(scrape_interval: timedelta) -> timedelta:
    return scrape_interval * TARGETS_DOWN_SCRAPES


# --- Added for the low-traffic guard, the budget alert and per-SLO windows (issue 15) ---------

#: Low-traffic guard: a burn-rate alert (and the budget alert) fires only when its long window holds
#: at least this many failed events.  At 10 requests an hour one failure is a 1000x burn of a
#: 99.9 % SLO; five failures in the hour are several users hit, not one unlucky request.  It costs
#: a real outage at T requests/hour 5/T hours (30 min at 10/h, 3 min at 100/h) and nothing at all
#: once failures arrive faster than the burn condition needs them: at 100 % errors the 14.4x pair
#: needs 52 s, so from about 0.1 request/s (350 an hour) detection is unchanged.
DEFAULT_MIN_FAILURES = 5

#: The guard compares an estimate (recorded rates x seconds) with a whole number of events: counting
#: more than ``min_failures - 0.5`` rounds the estimate, so float noise (4.9999...) does not decide.
FAILURE_COUNT_ROUNDING = 0.5

#: SLOErrorBudgetExhausted reads the whole SLO period of two recordings; it runs in its own group at
#: this interval (the budget took days to spend: half an hour more changes nothing, and the read is
#: the most expensive of all the rules of an SLO).
BUDGET_GROUP_INTERVAL = timedelta(minutes=30)


def budget_interval(evaluation_interval: timedelta) -> timedelta:
    return max(BUDGET_GROUP_INTERVAL, evaluation_interval)


def never_fires(burn_rate: float, error_budget: float) -> bool:
    """A catalog-given pair whose burn rate needs every request (or more) to fail.

    The default table is capped (MAX_ERROR_RATIO_THRESHOLD) instead; a burn rate the user wrote is
    taken at its word, so one that no outage can reach is an error, not something to round down.
    """
    return burn_rate * error_budget >= 1.0


def min_window(scrape_interval: timedelta, evaluation_interval: timedelta, period: timedelta) -> timedelta:
    """The shortest window an alert may use: the base window every alert window is derived from."""
    return base_window(scrape_interval, evaluation_interval, period)


_SEVERITY_ORDER = {C.SEVERITY_PAGE: 0, C.SEVERITY_TICKET: 1}


def window_table(period: timedelta, own: tuple[BurnRateWindow, ...] | None) -> tuple[BurnRateWindow, ...]:
    """An SLO's window table: its own (as the catalog wrote it) or the workbook's scaled to ``period``;
    pages first, then per severity the fastest burn first."""
    table = own if own is not None else windows_for(period)
    return tuple(sorted(table, key=lambda w: (_SEVERITY_ORDER[w.severity], -w.burn_rate, w.long)))


# --- Added for catalog validation (obsgen.catalog.build) -------------------------------

#: Smallest error budget an objective may leave: one bad request in a billion (99.9999999 %).
#: Objectives are kept to 12 decimals as ratios; beyond this the budget rounds towards zero and
#: every burn rate divides by (almost) nothing.
MIN_ERROR_BUDGET = 1e-9

#: Distinct logs.fields names over all services.  Elasticsearch maps each one, plus the standard
#: fields of every line, under index.mapping.total_fields.limit (1000, its default); a test keeps
#: this bound plus the standard fields under that limit, so the index template always fits.
MAX_LOG_FIELDS = 900


def evaluation_problem(period: timedelta, evaluation_interval: timedelta) -> str | None:
    """Why fast rule groups cannot run every ``evaluation_interval``, or None when they can.

    An evaluation interval longer than the shortest alert window skips whole windows, and
    longer than the slow groups' interval would evaluate pages less often than tickets.
    """
    limit = min(shortest_window(period), SLOW_GROUP_INTERVAL)
    if evaluation_interval > limit:
        return (
            f"{evaluation_interval} is longer than {limit}, the shortest alert window (and the ticket rules' "
            f"interval): alerts would skip whole windows; use at most {limit}"
        )
    return None
