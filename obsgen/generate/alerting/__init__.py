"""SLO alerting: recording rules, burn-rate alerts, their promtool tests, Alertmanager routing.

``plan`` turns the model into the numbers (windows, thresholds, budget shares); ``rules`` builds
the Prometheus rule groups from it; ``rule_tests`` the promtool unit tests that prove them;
``alertmanager`` the routing; ``kubernetes`` the same rules as PrometheusRule resources.
"""
