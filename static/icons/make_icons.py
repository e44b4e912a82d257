"""Draw Lotse's app icons without any outside asset: icon.svg and the PNGs (192, 512, maskable 512).

Run from anywhere: `python static/icons/make_icons.py`. Needs numpy (a dependency of the project) and zlib.
The icon: a white navigation arrow pointing ahead on a dark blue ground, with a yellow ring for the destination.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BLUE = (10, 77, 140)
WHITE = (255, 255, 255)
YELLOW = (255, 204, 0)
# The arrow in a 512 unit square (the same points as the SVG).
ARROW = [(256, 88), (392, 404), (256, 338), (120, 404)]

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" role="img" aria-label="Lotse">
  <rect width="512" height="512" rx="96" fill="rgb{BLUE}"/>
  <circle cx="256" cy="256" r="200" fill="none" stroke="rgb{YELLOW}" stroke-width="20"/>
  <path d="M{' L'.join(f'{x} {y}' for x, y in ARROW)} Z" fill="rgb{WHITE}"/>
</svg>
"""


def _inside_polygon(x: np.ndarray, y: np.ndarray, polygon: list[tuple[float, float]]) -> np.ndarray:
    inside = np.zeros(x.shape, dtype=bool)
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]):
        crosses = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (x < at)
    return inside


def render(size: int, maskable: bool = False, samples: int = 4) -> np.ndarray:
    """RGBA pixels of the icon at `size`; maskable icons fill the square and keep the drawing in the safe zone."""
    n = size * samples
    coords = (np.arange(n) + 0.5) / n * 512
    x, y = np.meshgrid(coords, coords)
    if maskable:  # the drawing scaled to 76 % around the centre: inside the 80 % safe circle
        x, y = 256 + (x - 256) / 0.76, 256 + (y - 256) / 0.76
        ground = np.ones(x.shape, dtype=bool)
    else:
        r = 96
        cx, cy = np.clip(x, r, 512 - r), np.clip(y, r, 512 - r)
        ground = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    distance = np.hypot(x - 256, y - 256)
    ring = np.abs(distance - 200) <= 10
    arrow = _inside_polygon(x, y, ARROW)
    rgba = np.zeros((n, n, 4), dtype=float)
    for mask, colour in ((ground, BLUE), (ground & ring, YELLOW), (ground & arrow, WHITE)):
        rgba[mask, :3] = colour
        rgba[mask, 3] = 255
    # Average the samples (premultiplied, so edges blend with transparency correctly).
    premultiplied = rgba[..., :3] * rgba[..., 3:4] / 255
    pixels = np.concatenate([premultiplied, rgba[..., 3:4]], axis=2)
    pixels = pixels.reshape(size, samples, size, samples, 4).mean(axis=(1, 3))
    alpha = pixels[..., 3:4]
    colour = np.where(alpha > 0, pixels[..., :3] * 255 / np.maximum(alpha, 1e-9), 0)
    return np.concatenate([colour, alpha], axis=2).round().clip(0, 255).astype(np.uint8)


def write_png(path: Path, pixels: np.ndarray) -> None:
    height, width = pixels.shape[:2]
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                     + chunk(b"IEND", b""))


def main() -> None:
    (HERE / "icon.svg").write_text(SVG, encoding="utf-8")
    write_png(HERE / "icon-192.png", render(192))
    write_png(HERE / "icon-512.png", render(512))
    write_png(HERE / "icon-maskable-512.png", render(512, maskable=True))


if __name__ == "__main__":
    main()
