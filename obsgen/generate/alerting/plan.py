"""The numbers behind every SLO alert: windows, thresholds, budget shares, detection times.

Pure arithmetic over the model and ``obsgen.policy``; rules, tests, docs and ``obsgen explain``
all read it, so what an alert is documented to do is what it is generated to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from obsgen import conventions as C
from obsgen import durations, policy
from obsgen.model import SLO, Catalog, Service


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

    def time_to_detect(self, error_ratio: float) -> timedelta | None:
        """Time from the start of ``error_ratio`` errors to firing, after a clean long window.

        window x threshold / error_ratio (SRE workbook); None when it never fires.  The short
        window is always the faster of the two, so the long one decides.
        """
        if error_ratio <= self.threshold * (1 + 1e-9):  # float noise: 1 - 0.9 is 0.0999...98
            return None
        return self.long * (self.threshold / error_ratio)


@dataclass(frozen=True)
class SloPlan:
    service: Service
    slo: SLO
    team: str
    pairs: tuple[Pair, ...]

    def severity_pairs(self, severity: str) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.severity == severity)

    @property
    def severities(self) -> tuple[str, ...]:
        return tuple(s for s in (C.SEVERITY_PAGE, C.SEVERITY_TICKET) if self.severity_pairs(s))

    def time_to_detect(self, severity: str, error_ratio: float) -> timedelta | None:
        times = [t for p in self.severity_pairs(severity) if (t := p.time_to_detect(error_ratio)) is not None]
        return min(times) if times else None


def windows(catalog: Catalog) -> tuple[policy.BurnRateWindow, ...]:
    return policy.windows_for(catalog.slo_period)


def base_window(catalog: Catalog) -> timedelta:
    return policy.base_window(catalog.scrape_interval, catalog.evaluation_interval, catalog.slo_period)


def slo_plan(catalog: Catalog, service: Service, slo: SLO) -> SloPlan:
    wanted = {
        C.SEVERITY_PAGE: service.alerting.page,
        C.SEVERITY_TICKET: service.alerting.ticket,
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
        for w in windows(catalog)
        if wanted[w.severity]
    )
    return SloPlan(service, slo, service.team, pairs)


def slo_plans(catalog: Catalog, service: Service) -> tuple[SloPlan, ...]:
    return tuple(slo_plan(catalog, service, slo) for slo in service.slos)


def fast_windows(catalog: Catalog) -> tuple[timedelta, ...]:
    """Windows the page alerts read (evaluated every evaluation_interval)."""
    ws = {x for w in windows(catalog) if w.severity == C.SEVERITY_PAGE for x in (w.long, w.short)}
    return tuple(sorted(ws))


def slow_windows(catalog: Catalog) -> tuple[timedelta, ...]:
    """Windows only the ticket alerts read (evaluated every policy.SLOW_GROUP_INTERVAL)."""
    fast = set(fast_windows(catalog))
    ws = {x for w in windows(catalog) if w.severity == C.SEVERITY_TICKET for x in (w.long, w.short)} - fast
    return tuple(sorted(ws))


def slow_interval(catalog: Catalog) -> timedelta:
    return max(policy.SLOW_GROUP_INTERVAL, catalog.evaluation_interval)


def window_name(window: timedelta) -> str:
    """The window as it appears in a recording-rule name: ``4m40s``, ``2d19h12m``."""
    return durations.format_prometheus(window)


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
