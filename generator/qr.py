"""QR codes for verification URLs: SVG and PNG bytes, named by the hash of what went into them."""
from __future__ import annotations

import hashlib
import struct
import zlib

import qrcode
from qrcode.util import BIT_LIMIT_TABLE

QUIET_ZONE = 4          # modules of light margin, the minimum the QR standard asks for
PNG_MODULE_PX = 8
MASK = 2                # a fixed mask pattern: see matrix()
_VERSION = "qr3-M2"     # change when the drawing changes, so names change with it


def qr_name(payload: str) -> str:
    return hashlib.sha256(f"{_VERSION}\n{payload}".encode()).hexdigest()[:16]


def qr_path(payload: str) -> str:
    """Where the code of a payload is published, without its .svg or .png."""
    return f"qr/{qr_name(payload)}"


def matrix(payload: str, best_mask: bool = False) -> list[list[bool]]:
    """The modules of the code, quiet zone included (True = dark).

    Choosing the best of the 8 mask patterns costs 4 ms a code, a fixed one 0.6 ms. Over 200
    verification URLs the chosen mask left 21.4 finder-like runs a code on average and mask 2
    left 21.7, so the site's codes use mask 2; printed stamp sheets still choose (best_mask)."""
    if best_mask:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
        code.add_data(payload)
        code.make(fit=True)
        return code.get_matrix()
    # one chunk in byte mode, in the smallest version it fits: found here without the trial
    # encodings of make(fit=True), which cost as much again
    data = payload.encode()
    version = next(v for v in range(1, 41)
                   if 4 + (8 if v < 10 else 16) + 8 * len(data) <= BIT_LIMIT_TABLE[qrcode.constants.ERROR_CORRECT_M][v])
    code = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE,
                         mask_pattern=MASK)
    code.add_data(data, optimize=0)
    code.make(fit=False)
    return code.get_matrix()


def svg(modules: list[list[bool]]) -> bytes:
    size = len(modules)
    runs = []
    for y, row in enumerate(modules):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size * 4}" '
            f'height="{size * 4}" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(runs)}"/></svg>\n').encode()


def png(modules: list[list[bool]]) -> bytes:
    """A 1-bit greyscale PNG, black on opaque white, PNG_MODULE_PX (8) pixels a module: one byte
    a module, each row repeated. Written directly: an image library costs several times as much."""
    row_bytes = [b"\0" + bytes(0 if dark else 255 for dark in row) for row in modules]
    raw = b"".join(row * PNG_MODULE_PX for row in row_bytes)
    size = len(modules) * PNG_MODULE_PX

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
