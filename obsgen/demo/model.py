"""A toy sentiment model: enough to have a name, a version and a slow load."""

from __future__ import annotations

import threading
import time
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

    def load(self) -> Model:
        time.sleep(self.load_seconds)  # stands in for reading weights from disk
        with self._lock:
            self._version += 1
            self.current = Model(MODEL_NAME, self._version)
            return self.current
