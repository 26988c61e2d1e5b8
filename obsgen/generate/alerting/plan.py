"""The numbers behind every SLO alert: windows, thresholds, budget shares, detection times.

Pure arithmetic over the model and ``obsgen.policy``; rules, tests, docs and ``obsgen explain``
all read it, so what an alert is documented to do is what it is generated to do.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from obsgen import conventions as C
from obsgen import durations
from obsgen.model import SLO, Catalog, Service
from obsgen.policy import alerting as policy


@dataclass(frozen=True)
class Pair:
    """One multiwindow condition: both windows' error ratios above ``threshold``."""

    severity: str
    long: timedelta
    short: timedelta
    #: The workbook's burn rate for this pair.
    burn_rate: float
    #: Error ratio both windows must exceed: burn_rate x budget, capped (policy).
    threshold: float
    error_budget: float
    period: timedelta

    @property
    def capped(self) -> bool:
        return self.threshold < self.burn_rate * self.error_budget

    @property
    def effective_burn_rate(self) -> float:
        """Burn rate the alert really fires at (lower than ``burn_rate`` when capped)."""
        return self.threshold / self.error_budget

    @property
    def budget_consumed(self) -> float:
        """Share of the period's error budget spent in the long window when the alert fires."""
        return self.effective_burn_rate * (self.long / self.period)

    def time_to_detect(
        self, error_ratio: float, requests_per_second: float | None = None, min_failures: int = 0
    ) -> timedelta | None:
        """Time from the start of ``error_ratio`` errors to firing, after a clean long window.

        window x threshold / error_ratio (SRE workbook); None when it never fires.  The short
        window is always the faster of the two, so the long one decides.  With a traffic rate and
        the low-traffic guard, also the time until the long window holds ``min_failures`` failed
        events (min_failures / (rate x error_ratio)); never when it cannot hold that many.
        """
        if error_ratio <= self.threshold * (1 + 1e-9):  # float noise: 1 - 0.9 is 0.0999...98
            return None
        burn = self.long * (self.threshold / error_ratio)
        if requests_per_second is None or min_failures <= 0:
            return burn
        failures_per_second = requests_per_second * error_ratio
        if failures_per_second * self.long.total_seconds() < min_failures:
            return None
        return max(burn, timedelta(seconds=min_failures / failures_per_second))


@dataclass(frozen=True)
class SloPlan:
    service: Service
    slo: SLO
    team: str
    pairs: tuple[Pair, ...]
    #: Low-traffic guard (0: none).
    min_failures: int = 0
    #: The SLO period's budget-exhausted ticket (on with the ticket tier).
    budget_alert: bool = False

    def severity_pairs(self, severity: str) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.severity == severity)

    @property
    def severities(self) -> tuple[str, ...]:
        return tuple(s for s in (C.SEVERITY_PAGE, C.SEVERITY_TICKET) if self.severity_pairs(s))

    def time_to_detect(
        self, severity: str, error_ratio: float, requests_per_second: float | None = None
    ) -> timedelta | None:
        """The first pair of ``severity`` to fire; with a traffic rate, the low-traffic guard counts."""
        times = [
            t
            for p in self.severity_pairs(severity)
            if (t := p.time_to_detect(error_ratio, requests_per_second, self.min_failures)) is not None
        ]
        return min(times) if times else None

    @property
    def recorded_windows(self) -> tuple[timedelta, ...]:
        """Windows with an error-ratio recording: those the page alert reads, every evaluation.

        Windows only the ticket alert reads are computed inside it (same samples, same group
        interval, one rule less each: nothing else reads them).
        """
        return tuple(sorted({x for p in self.severity_pairs(C.SEVERITY_PAGE) for x in (p.long, p.short)}))

    @property
    def windows(self) -> tuple[timedelta, ...]:
        """Every window an alert of this SLO reads."""
        return tuple(sorted({x for p in self.pairs for x in (p.long, p.short)}))


def windows(catalog: Catalog) -> tuple[policy.BurnRateWindow, ...]:
    return policy.windows_for(catalog.slo_period)


def base_window(catalog: Catalog) -> timedelta:
    return _base_window(catalog.scrape_interval, catalog.evaluation_interval, catalog.slo_period)


#: Pure functions of a few durations, read for every rule and test: computed once per value.
_base_window = functools.lru_cache(maxsize=64)(policy.base_window)
_window_table = functools.lru_cache(maxsize=256)(policy.window_table)


def slo_windows(catalog: Catalog, slo: SLO) -> tuple[policy.BurnRateWindow, ...]:
    """The SLO's window table (policy.window_table)."""
    return _window_table(catalog.slo_period, slo.alerting.windows)


def slo_plan(catalog: Catalog, service: Service, slo: SLO) -> SloPlan:
    wanted = {
        C.SEVERITY_PAGE: slo.alerting.page,
        C.SEVERITY_TICKET: slo.alerting.ticket,
    }
    pairs = tuple(
        Pair(
            severity=w.severity,
            long=w.long,
            short=w.short,
            burn_rate=w.burn_rate,
            threshold=policy.error_ratio_threshold(w.burn_rate, slo.error_budget),
            error_budget=slo.error_budget,
            period=catalog.slo_period,
        )
        for w in slo_windows(catalog, slo)
        if wanted[w.severity]
    )
    # An error budget of (almost) every request can never be exceeded: no budget alert then.
    budget_alert = slo.alerting.ticket and slo.error_budget < 1 - 1e-9
    return SloPlan(service, slo, service.team, pairs, slo.alerting.min_failures, budget_alert)


def slo_plans(catalog: Catalog, service: Service) -> tuple[SloPlan, ...]:
    return tuple(slo_plan(catalog, service, slo) for slo in service.slos)


def slow_interval(catalog: Catalog) -> timedelta:
    return max(policy.SLOW_GROUP_INTERVAL, catalog.evaluation_interval)


def budget_interval(catalog: Catalog) -> timedelta:
    return policy.budget_interval(catalog.evaluation_interval)


#: durations.format_prometheus, once per value: the rules and tests write the same few durations
#: thousands of times.
duration_text = functools.lru_cache(maxsize=1024)(durations.format_prometheus)


def window_name(window: timedelta) -> str:
    """The window as it appears in a recording-rule name: ``4m40s``, ``2d19h12m``."""
    return duration_text(window)


def human(value: timedelta) -> str:
    """A duration for people: ``52s``, ``8.6 min``, ``3.6 h``, ``2.8 d``."""
    seconds = value.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 6000:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(ratio: float) -> str:
    """``0.0144`` -> ``1.44%``; ``0.5`` -> ``50%``."""
    return f"{ratio * 100:.4g}%"
