"""Every path a catalog generates, for the catalog layer's collision and name-length checks."""

from __future__ import annotations

from obsgen.conventions import grafana, kubernetes, layout, logging
from obsgen.conventions.kubernetes import (
    dashboard_configmap_path,
    k8s_namespace_path,
    k8s_prometheusrule_path,
    k8s_service_manifest_path,
    k8s_servicemonitor_path,
)
from obsgen.conventions.layout import (
    OUTPUT_DIRS,
    alert_rules_path,
    alert_tests_path,
    dashboard_name,
    overview_dashboard_path,
    service_dashboard_path,
    use_dashboard_path,
)

__all__ = [
    "generated_paths",
]


def _static_output_paths() -> list[str]:
    """Every fixed generated file: the conventions' constants that name a path below OUTPUT_DIRS."""
    names = {
        name: value
        for module in (layout, grafana, kubernetes, logging)
        for name, value in vars(module).items()
    }
    return sorted(
        value
        for name, value in names.items()
        if name.isupper()
        and isinstance(value, str)
        and name.endswith(("_PATH", "_FILE"))
        and value.split("/", 1)[0] in OUTPUT_DIRS
        and "/" in value
        and "*" not in value
    )


def generated_paths(
    services: list[str], resources: list[str], environments: list[str]
) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every path a catalog with these names generates, with the (kind, name) pairs it is built from.

    Two entries with one path would overwrite each other: the catalog layer refuses the names
    that make them collide.  A test keeps this list equal to what the generators write.
    """
    out: list[tuple[str, tuple[tuple[str, str], ...]]] = [(p, ()) for p in _static_output_paths()]
    out.append((overview_dashboard_path(), ()))
    out.append((dashboard_configmap_path(dashboard_name(overview_dashboard_path())), ()))
    for s in services:
        who = (("service", s),)
        for path in (
            service_dashboard_path(s),
            dashboard_configmap_path(dashboard_name(service_dashboard_path(s))),
            alert_rules_path(s),
            alert_tests_path(s),
            k8s_servicemonitor_path(s),
            k8s_prometheusrule_path(s),
        ):
            out.append((path, who))
        out.extend(
            (k8s_service_manifest_path(e, s), (("environment", e), ("service", s))) for e in environments
        )
    for r in resources:
        who = (("resource", r),)
        out.append((use_dashboard_path(r), who))
        out.append((dashboard_configmap_path(dashboard_name(use_dashboard_path(r))), who))
    for e in environments:
        out.append((k8s_namespace_path(e), (("environment", e),)))
    return out
