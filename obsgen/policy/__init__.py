"""Policy as data, in one place: every number obsgen decides, with where it comes from.

* :mod:`~obsgen.policy.alerting`: the multiwindow, multi-burn-rate table (SRE workbook), the
  low-traffic guard, the error-ratio cap, base and slow windows, targets-down waits.
* :mod:`~obsgen.policy.logging`: the log pipeline's retention, buffer sizes and limits.
"""
