"""Say each problem once: the daemon runs for months, a log line per retry would flood it."""

from __future__ import annotations

import logging


class Once:
    """Log each problem once, by key, until it is forgotten (then a repeat is news)."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.keys: set[str] = set()

    def warn(self, key: str, message: str) -> bool:
        """Log ``message`` unless ``key`` was logged already; True if it was logged now."""
        if key in self.keys:
            return False
        self.keys.add(key)
        self.log.warning(message)
        return True

    def forget(self, *keys: str) -> bool:
        """Forget ``keys`` (the problem is over); True if any of them had been logged."""
        known = self.keys & set(keys)
        self.keys -= known
        return bool(known)
