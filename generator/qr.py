"""QR codes for verification URLs: SVG and PNG bytes, named by the hash of what went into them."""
from __future__ import annotations

import functools
import hashlib
import struct
import zlib

import qrcode
from qrcode.base import EXP_TABLE, gexp, glog, rs_blocks
from qrcode.constants import ERROR_CORRECT_M as M
from qrcode.util import BIT_LIMIT_TABLE, mask_func

QUIET_ZONE = 4          # modules of light margin, the minimum the QR standard asks for
PNG_MODULE_PX = 8
MASK = 2                # a fixed mask pattern: see matrix()
_VERSION = "qr4-M2"     # change when the drawing changes, so names change with it
_PNG_BYTE = bytes.maketrans(b"\x00\x01", b"\xff\x00")     # a module: 8 pixels of one byte, white or black


def qr_name(payload: str) -> str:
    return hashlib.sha256(f"{_VERSION}\n{payload}".encode()).hexdigest()[:16]


def qr_path(payload: str) -> str:
    """Where the code of a payload is published, without its .svg or .png."""
    return f"qr/{qr_name(payload)}"


def matrix(payload: str, best_mask: bool = False) -> list[list[bool]]:
    """The modules of the code, quiet zone included (True = dark).

    Choosing the best of the 8 mask patterns costs 4 ms a code. Over 200 verification URLs the
    chosen mask left 21.4 finder-like runs a code on average and mask 2 left 21.7, so the site's
    codes use mask 2, encoded here (the same modules as the library's, in a fraction of its
    time); printed stamp sheets still choose (best_mask)."""
    if best_mask:
        code = qrcode.QRCode(error_correction=M, border=QUIET_ZONE)
        code.add_data(payload)
        code.make(fit=True)
        return code.get_matrix()
    data = payload.encode()         # one chunk in byte mode, in the smallest version it fits
    version = next(v for v in range(1, 41) if 4 + (8 if v < 10 else 16) + 8 * len(data) <= BIT_LIMIT_TABLE[M][v])
    template, positions = _layout(version)
    rows = [row[:] for row in template]
    codewords = _codewords(data, version)
    bits = f"{int.from_bytes(codewords, 'big'):0{8 * len(codewords)}b}"       # then 0 to 7 remainder bits
    for (y, x), bit in zip(positions, bits):
        if bit == "1":
            rows[y][x] = not rows[y][x]
    quiet = [False] * QUIET_ZONE
    blank = [False] * (len(rows) + 2 * QUIET_ZONE)
    return ([blank[:] for _ in range(QUIET_ZONE)] + [quiet + row + quiet for row in rows]
            + [blank[:] for _ in range(QUIET_ZONE)])


@functools.cache
def _layout(version: int) -> tuple[list[list[bool]], list[tuple[int, int]]]:
    """The code's modules with every data bit 0 (function patterns, format and version
    information, mask 2 over the data area), and the data modules in the order bits fill them."""

    class Blank(qrcode.QRCode):
        def map_data(self, data, mask_pattern):       # the modules before the data goes in
            self.blank = [row[:] for row in self.modules]
            super().map_data(data, mask_pattern)

    code = Blank(version=version, error_correction=M, border=0, mask_pattern=MASK)
    code.make(fit=False)
    size, masked = len(code.blank), mask_func(MASK)
    positions = []
    for right in range(size - 1, 0, -2):            # two columns at a time, right to left,
        right -= right <= 6                         # skipping the vertical timing pattern,
        rows = range(size - 1, -1, -1) if (size - 1 - right) // 2 % 2 == 0 else range(size)    # up, then down
        positions += [(y, x) for y in rows for x in (right, right - 1) if code.blank[y][x] is None]
    template = [[masked(y, x) if dark is None else dark for x, dark in enumerate(row)]
                for y, row in enumerate(code.blank)]
    return template, positions


def _codewords(data: bytes, version: int) -> bytes:
    """The data in byte mode, terminated and padded, split into blocks, each followed by its
    Reed–Solomon error correction, interleaved (ISO/IEC 18004 §7.4–7.6)."""
    blocks = rs_blocks(version, M)
    capacity = sum(block.data_count for block in blocks) * 8
    count_bits = 8 if version < 10 else 16
    used = 4 + count_bits + 8 * len(data)
    value = (((0b0100 << count_bits) | len(data)) << 8 * len(data)) | int.from_bytes(data, "big")
    used += min(capacity - used, 4)                 # the terminator: up to four 0 bits,
    used += -used % 8                               # then to a whole byte
    value <<= used - (4 + count_bits + 8 * len(data))
    padded = value.to_bytes(used // 8, "big") + bytes([0xEC, 0x11] * capacity)[:capacity // 8 - used // 8]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        part = padded[offset:offset + block.data_count]
        offset += block.data_count
        data_blocks.append(part)
        ec_blocks.append(_remainder(part, block.total_count - block.data_count))
    out = bytearray()
    for parts in (data_blocks, ec_blocks):
        for i in range(max(map(len, parts))):
            out += bytes(part[i] for part in parts if i < len(part))
    return bytes(out)


@functools.cache
def _generator(degree: int) -> tuple[int, ...]:
    """The Reed–Solomon generator polynomial (x - α⁰)…(x - α^(degree-1)), coefficients as logs."""
    poly = [1]
    for i in range(degree):
        poly = [a ^ (gexp(glog(b) + i) if b else 0) for a, b in zip(poly + [0], [0] + poly)]
    return tuple(glog(c) for c in poly[1:])


@functools.cache
def _multiples(degree: int) -> list[int]:
    """The generator's coefficients times each byte value, as one number of `degree` bytes."""
    table = [0]
    for factor in range(1, 256):
        log = glog(factor)
        table.append(int.from_bytes(bytes(EXP_TABLE[(log + g) % 255] for g in _generator(degree)), "big"))
    return table


def _remainder(data: bytes, degree: int) -> list[int]:
    """The error correction codewords: the remainder of the data divided by the generator, one
    byte at a time (the remainder held as one number, its first byte the highest)."""
    multiples, top, mask = _multiples(degree), 8 * (degree - 1), (1 << 8 * degree) - 1
    left = 0
    for byte in data:
        left = ((left << 8) & mask) ^ multiples[byte ^ (left >> top)]
    return list(left.to_bytes(degree, "big"))


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
    row_bytes = [b"\0" + bytes(row).translate(_PNG_BYTE) for row in modules]
    raw = b"".join(row * PNG_MODULE_PX for row in row_bytes)
    size = len(modules) * PNG_MODULE_PX

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 4)) + chunk(b"IEND", b""))
