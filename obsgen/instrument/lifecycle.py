"""The one lifecycle state a service moves through, and what the probes answer.

starting → ready ⇄ reloading → draining.  Liveness only says the process can
serve; readiness says it should get traffic now, which is true in ``ready``
alone.  Probes read this state and never call a dependency (the talk: probes
are lightweight and should not call external components).
"""

from __future__ import annotations

import contextlib
import enum
import threading
from collections.abc import Callable, Iterator

from obsgen.conventions import contract as c

__all__ = ["Lifecycle", "State"]


class State(enum.StrEnum):
    STARTING = c.LIFECYCLE_STATES[0]
    READY = c.LIFECYCLE_STATES[1]
    RELOADING = c.LIFECYCLE_STATES[2]
    DRAINING = c.LIFECYCLE_STATES[3]


class Lifecycle:
    """Thread-safe holder of the current :class:`State`.

    ``draining`` is final: once a shutdown began, a model that finishes loading
    must not make the instance ready again.
    """

    def __init__(self, on_change: Callable[[State], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._state = State.STARTING
        self._listeners: list[Callable[[State], None]] = []
        if on_change is not None:
            self.subscribe(on_change)

    @property
    def state(self) -> State:
        return self._state

    @property
    def ready(self) -> bool:
        return self._state is State.READY

    @property
    def draining(self) -> bool:
        return self._state is State.DRAINING

    def subscribe(self, listener: Callable[[State], None]) -> None:
        """Call ``listener`` with the current state now and on every change."""
        with self._lock:
            self._listeners.append(listener)
            state = self._state
        listener(state)

    def set(self, state: State) -> bool:
        """Move to ``state``; return False (and stay) if the process is already draining."""
        with self._lock:
            if self._state is State.DRAINING and state is not State.DRAINING:
                return False
            changed = self._state is not state
            self._state = state
            listeners = list(self._listeners)
        if changed:
            for listener in listeners:
                listener(state)
        return True

    def set_ready(self) -> bool:
        return self.set(State.READY)

    def start_draining(self) -> None:
        self.set(State.DRAINING)

    @contextlib.contextmanager
    def reloading(self) -> Iterator[None]:
        """Not ready while the block runs; ready again afterwards unless draining began."""
        self.set(State.RELOADING)
        try:
            yield
        finally:
            self.set(State.READY)
