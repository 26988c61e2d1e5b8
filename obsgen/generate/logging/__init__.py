"""The log pipeline: Fluentd, Loki and Elasticsearch configs from the catalog.

Each module is a generator (``generate(catalog) -> {path: Artifact}``) owning
one store's files; ``policy`` holds the numbers they share (retention, buffers).
docs/logging.md follows a log line from the demo to both stores.
"""
