"""QR codes for verification URLs: SVG and PNG bytes, named by the hash of what went into them."""
from __future__ import annotations

import functools
import hashlib
import operator
import struct
import zlib
from typing import Callable

import qrcode
from qrcode.base import EXP_TABLE, gexp, glog, rs_blocks
from qrcode.constants import ERROR_CORRECT_M as M
from qrcode.util import BIT_LIMIT_TABLE, mask_func

QUIET_ZONE = 4          # modules of light margin, the minimum the QR standard asks for
PNG_MODULE_PX = 8
MASK = 2                # a fixed mask pattern: see matrix()
_VERSION = "qr4-M2"     # change when the drawing changes, so names change with it
_PNG_BYTE = bytes.maketrans(b"\x00\x01", b"\xff\x00")     # a module: 8 pixels of one byte, white or black
_BIT = bytes.maketrans(b"01", b"\x00\x01")


def qr_name(payload: str) -> str:
    return hashlib.sha256(f"{_VERSION}\n{payload}".encode()).hexdigest()[:16]


def qr_path(payload: str) -> str:
    """Where the code of a payload is published, without its .svg or .png."""
    return f"qr/{qr_name(payload)}"


def matrix(payload: str, best_mask: bool = False) -> list[list[bool]]:
    """The modules of the code, quiet zone included (True = dark).

    Choosing the best of the 8 mask patterns costs 4 ms a code. Over 200 verification URLs the
    chosen mask left 21.4 finder-like runs a code on average and mask 2 left 21.7, so the site's
    codes use mask 2 (modules()); printed stamp sheets still choose (best_mask)."""
    if best_mask:
        code = qrcode.QRCode(error_correction=M, border=QUIET_ZONE)
        code.add_data(payload)
        code.make(fit=True)
        return code.get_matrix()
    return [[dark == 1 for dark in row] for row in modules(payload)]


def modules(payload: str) -> list[bytes]:
    """The code's rows with mask 2, quiet zone included, a byte a module (1 = dark): the same
    modules as the library's, in a fraction of its time. The data bits are put in place by one
    lookup for every module (data modules take their bit, the others a 0), then turned over
    where they are 1: whole rows at a time, no loop over modules in Python."""
    data = payload.encode()         # one chunk in byte mode, in the smallest version it fits
    version = next(v for v in range(1, 41) if 4 + (8 if v < 10 else 16) + 8 * len(data) <= BIT_LIMIT_TABLE[M][v])
    size, template, place, count = _layout(version)
    codewords = _codewords(data, version)
    bits = f"{int.from_bytes(codewords, 'big'):0{8 * len(codewords)}b}".encode().translate(_BIT)
    layer = bytes(place(bits.ljust(count + 1, b"\0")))      # (then 0 to 7 remainder bits, and a 0 for the rest)
    cells = (template ^ int.from_bytes(layer, "big")).to_bytes(size * size, "big")
    quiet = bytes(QUIET_ZONE)
    blank = bytes(size + 2 * QUIET_ZONE)
    return ([blank] * QUIET_ZONE + [quiet + cells[y:y + size] + quiet for y in range(0, size * size, size)]
            + [blank] * QUIET_ZONE)


@functools.cache
def _layout(version: int) -> tuple[int, int, Callable[[bytes], tuple[int, ...]], int]:
    """The code's size; its modules with every data bit 0 (function patterns, format and version
    information, mask 2 over the data area) as one number, a byte a module; a function taking
    the data bits (a byte each, then a 0) to every module's bit; and the number of data modules."""

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
        positions += [y * size + x for y in rows for x in (right, right - 1) if code.blank[y][x] is None]
    template = bytes(bool(masked(y, x) if dark is None else dark)
                     for y, row in enumerate(code.blank) for x, dark in enumerate(row))
    source = [len(positions)] * (size * size)        # the module's data bit, or the 0 after them
    for bit, cell in enumerate(positions):
        source[cell] = bit
    return size, int.from_bytes(template, "big"), operator.itemgetter(*source), len(positions)


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


def svg(rows: list[bytes]) -> bytes:
    """The code as SVG: one path, a rectangle for each run of dark modules in a row."""
    size, runs = len(rows), []
    for y, row in enumerate(rows):
        x = 0
        for run in row.split(b"\0"):       # (a run of dark modules, or b"" for a light one)
            if run:
                runs.append(f"M{x} {y}h{len(run)}v1h-{len(run)}z")
                x += len(run)
            x += 1
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size * 4}" '
            f'height="{size * 4}" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(runs)}"/></svg>\n').encode()


def png(rows: list[bytes]) -> bytes:
    """A 1-bit greyscale PNG, black on opaque white, PNG_MODULE_PX (8) pixels a module: one byte
    a module, each row repeated. Written directly: an image library costs several times as much."""
    raw = b"".join((b"\0" + row.translate(_PNG_BYTE)) * PNG_MODULE_PX for row in rows)
    size = len(rows) * PNG_MODULE_PX

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 4)) + chunk(b"IEND", b""))
