"""sd_notify with the standard library: READY, STATUS, WATCHDOG and STOPPING.

systemd passes ``$NOTIFY_SOCKET`` to a ``Type=notify`` service; outside systemd
it is unset and every call here does nothing, silently.
"""

from __future__ import annotations

import logging
import os
import socket

from device.once import Once

log = logging.getLogger(__name__)


class Notifier:
    """Sends ``KEY=value`` datagrams to the service manager, if there is one."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = _address(env.get("NOTIFY_SOCKET", ""))
        self.watchdog_interval = _watchdog_interval(env)
        self._once = Once(log)

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, **fields: str) -> bool:
        """Send one message; False (logged once) if the manager cannot be reached."""
        if not self.address:
            return False
        message = "\n".join(f"{key}={value}" for key, value in fields.items())
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), self.address)
            return True
        except OSError as error:
            where = self.address if isinstance(self.address, str) else repr(self.address)
            self._once.warn("send", f"cannot notify systemd at {where}: {error}")
            return False

    def ready(self, status: str = "") -> bool:
        fields = {"READY": "1", "MAINPID": str(os.getpid())}
        return self.send(**fields, **({"STATUS": status} if status else {}))

    def status(self, text: str) -> bool:
        return self.send(STATUS=text)

    def watchdog(self) -> bool:
        return self.send(WATCHDOG="1")

    def stopping(self) -> bool:
        return self.send(STOPPING="1")


def _address(value: str) -> str | bytes:
    """A path, or an abstract socket name when it starts with '@'."""
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    return value


def _watchdog_interval(env) -> float | None:
    """Half of ``WATCHDOG_USEC`` in seconds, when the watchdog is meant for this process."""
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 2e6
