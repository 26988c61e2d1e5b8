"""A toy sentiment model: enough to have a name, a version and a slow load."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

MODEL_NAME: Final = "sentiment-words"
_POSITIVE: Final = frozenset({"good", "great", "love", "fast", "happy", "excellent", "nice", "stable"})
_NEGATIVE: Final = frozenset({"bad", "slow", "hate", "down", "broken", "sad", "error", "outage"})


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    version: int

    def predict(self, text: str) -> Prediction:
        words = text.lower().split()
        pos = sum(w in _POSITIVE for w in words)
        neg = sum(w in _NEGATIVE for w in words)
        if pos == neg:
            return Prediction("neutral", 0.5)
        score = round(pos / (pos + neg), 3)
        return Prediction("positive" if pos > neg else "negative", score)


class ModelStore:
    """Holds the current model; loading blocks the calling thread for ``load_seconds``."""

    def __init__(self, load_seconds: float) -> None:
        self.load_seconds = load_seconds
        self.current: Model | None = None
        self._lock = threading.Lock()
        self._version = 0
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop a load in progress (shutdown): the loading thread returns at once, nothing loaded."""
        self._cancelled.set()

    def load(self) -> Model | None:
        """Load the next version; None when cancelled first (a thread cannot be killed, only told)."""
        # Stands in for reading weights from disk, in steps that check for shutdown.
        if self._cancelled.wait(self.load_seconds):
            return None
        with self._lock:
            self._version += 1
            self.current = Model(MODEL_NAME, self._version)
            return self.current
