"""Frames copied straight to a Linux framebuffer (/dev/fbN), for small SPI panels.

Such panels often have no KMS/DRM driver of their own; SDL is not needed at
all: the screen draws off-screen and each frame is converted to the panel's
pixel format (RGB565 or 32-bit BGRA) and written at offset 0. Size, depth and
line length come from /sys/class/graphics/fbN.
"""

from __future__ import annotations

import os
from pathlib import Path

import pygame

SYSFS = Path("/sys/class/graphics")


class Framebuffer:
    """An open framebuffer device (or any file of its layout)."""

    def __init__(self, fd: int, size: tuple[int, int], depth: int, stride: int) -> None:
        if depth not in (16, 32):
            raise OSError(f"{depth}-bit framebuffers are not supported; use 16 or 32")
        self.fd, self.size, self.depth, self.stride = fd, size, depth, stride
        self.path = f"fd {fd}"  # the device's path, when opened by ``open``

    @classmethod
    def open(cls, path: str, requested: tuple[int, int] = (0, 0)) -> Framebuffer:
        """Open ``path``; the configured width and height win over what sysfs says."""
        info = SYSFS / Path(path).name
        size, depth, stride = _sysfs(info)
        if all(requested):
            size = requested
        if not all(size):
            raise OSError(f"{path}: size unknown; set display.width and display.height")
        stride = stride or size[0] * depth // 8
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)  # O_CREAT only matters for a file
        framebuffer = cls(fd, size, depth, stride)
        framebuffer.path = path
        return framebuffer

    def write(self, frame: pygame.Surface) -> None:
        """Write ``frame`` (scaled if it is not the panel's size) as one image."""
        if frame.get_size() != self.size:
            frame = pygame.transform.smoothscale(frame, self.size)
        os.pwrite(self.fd, self.pixels(frame), 0)

    def pixels(self, frame: pygame.Surface) -> bytes:
        """The frame in the panel's format, each row padded to the panel's line length."""
        width, height = self.size
        if self.depth == 16:
            packed = pygame.Surface(self.size, 0, 16)  # pygame's 16-bit default is RGB565
            packed.blit(frame, (0, 0))
            raw, pitch = packed.get_buffer().raw, packed.get_pitch()
        else:
            raw, pitch = pygame.image.tobytes(frame, "BGRA"), width * 4
        row = width * self.depth // 8
        if pitch == row == self.stride:
            return bytes(raw)
        pad = bytes(self.stride - row)
        return b"".join(raw[y * pitch : y * pitch + row] + pad for y in range(height))

    def close(self) -> None:
        os.close(self.fd)


def _sysfs(info: Path) -> tuple[tuple[int, int], int, int]:
    """Size, bits per pixel and line length from sysfs; zeros when absent."""
    try:
        width, height = (int(v) for v in (info / "virtual_size").read_text().split(","))
        depth = int((info / "bits_per_pixel").read_text())
        stride = int((info / "stride").read_text())
    except (OSError, ValueError):
        return (0, 0), 16, 0
    return (width, height), depth, stride
