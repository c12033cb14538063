#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets: fuzz/corpus/<target>/, small valid files.

Everything is made here from the Python standard library alone (struct, zlib, gzip, json), byte
for byte, so the seeds are the same on every machine: IDX, NPY (the header numpy's np.save
writes), CSV/TSV, model.json, PNG (every colour type and bit depth, palette, tRNS, Adam7
interlacing, all five row filters), JPEG (a small baseline/progressive encoder: gray, YCbCr 4:4:4
and 4:2:0, restart markers, Adobe CMYK), BMP (1, 4, 8, 16, 24 and 32 bits, bit fields with alpha,
top-down, OS/2 header) and binary PGM/PPM (8 and 16 bit).

Seeds of targets whose harness reads parameter bytes first carry them (see the harnesses):
idx_gzip one mode byte, the image targets two, mask four.

    python3 fuzz/make_corpus.py            # rewrites fuzz/corpus/
    python3 fuzz/make_corpus.py OUT_DIR    # elsewhere
"""

import gzip
import json
import math
import os
import shutil
import struct
import sys
import zlib

# ---------------------------------------------------------------- helpers


def pattern(n, seed=0):
    """n bytes of a fixed, non-trivial pattern."""
    return bytes(((i * 37 + seed * 101) ^ (i >> 3)) & 0xFF for i in range(n))


def product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# ---------------------------------------------------------------- IDX

IDX_TYPES = {"u8": (0x08, ">B"), "i8": (0x09, ">b"), "i16": (0x0B, ">h"),
             "i32": (0x0C, ">i"), "f32": (0x0D, ">f"), "f64": (0x0E, ">d")}


def idx(kind, shape, values):
    code, fmt = IDX_TYPES[kind]
    out = bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape)
    return out + b"".join(struct.pack(fmt, v) for v in values)


def idx_files():
    n = product
    return {
        "u8_3x4x4.idx": idx("u8", [3, 4, 4], list(pattern(48))),
        "i8_2x2x2x2.idx": idx("i8", [2, 2, 2, 2], [i - 8 for i in range(16)]),
        "i16_2x3.idx": idx("i16", [2, 3], [0, 1, -1, 32767, -32768, 300]),
        "i32_5.idx": idx("i32", [5], [0, 1, -2, 2**31 - 1, -(2**31)]),
        "f32_2x2.idx": idx("f32", [2, 2], [0.0, 0.5, 1.0, 255.0]),
        "f64_3x1.idx": idx("f64", [3, 1], [0.25, 1e300, -0.0]),
        "u8_1x28x28.idx": idx("u8", [1, 28, 28], list(pattern(n([28, 28]), 3))),
    }


def idx_gzip_files():
    """Mode byte (fuzz_idx_gzip.cpp), then: even, an IDX file the harness compresses; odd, a
    gzip file as it is."""
    plain = idx_files()
    out = {}
    for name, data in plain.items():
        out["z_" + name] = b"\x0c" + data  # compressed by the harness, level 6
    for name in ["u8_3x4x4.idx", "i16_2x3.idx", "f64_3x1.idx"]:
        out["raw_" + name + ".gz"] = b"\x01" + gzip.compress(plain[name], 9, mtime=0)
    out["raw_stored_u8_1x28x28.idx.gz"] = b"\x01" + gzip.compress(
        plain["u8_1x28x28.idx"], 0, mtime=0)
    return out


# ---------------------------------------------------------------- NPY

NPY_FORMATS = {"<f4": "<f", "<f8": "<d", "|u1": "<B", "|b1": "<B", "|i1": "<b", "<i2": "<h",
               "<i4": "<i", "<i8": "<q", "<u2": "<H", "<u4": "<I", "<u8": "<Q"}


def shape_repr(shape):
    if len(shape) == 1:
        return "(%d,)" % shape[0]
    return "(" + ", ".join(str(d) for d in shape) + ")"


def npy(descr, shape, values, fortran=False, version=1):
    """An .npy file as numpy's np.save writes it (header padded to 64 bytes)."""
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shape_repr(shape))
    d += " " * (21 - len(str(shape[0])))  # numpy's room for the first axis to grow
    prefix = 10 if version == 1 else 12
    pad = 64 - (prefix + len(d) + 1) % 64
    text = (d + " " * pad + "\n").encode("latin-1")
    out = b"\x93NUMPY" + bytes([version, 0])
    out += struct.pack("<H" if version == 1 else "<I", len(text)) + text
    fmt = NPY_FORMATS[descr]
    if fortran:  # values are given in C order; store them first index fastest
        n = len(values)
        strides_c = []
        acc = 1
        for dim in reversed(shape):
            strides_c.insert(0, acc)
            acc *= dim
        order = []
        for f in range(n):
            rest, c = f, 0
            for k, dim in enumerate(shape):
                c += (rest % dim) * strides_c[k]
                rest //= dim
            order.append(c)
        values = [values[c] for c in order]
    return out + b"".join(struct.pack(fmt, v) for v in values)


def npy_files():
    return {
        "f4_2x3.npy": npy("<f4", [2, 3], [0.0, 0.5, 1.0, 2.0, 3.5, 1e-3]),
        "f8_3x2_fortran.npy": npy("<f8", [3, 2], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], fortran=True),
        "f4_2x2x3_fortran.npy": npy("<f4", [2, 2, 3], [float(i) for i in range(12)],
                                    fortran=True),
        "u1_4x4.npy": npy("|u1", [4, 4], list(pattern(16))),
        "b1_2x3.npy": npy("|b1", [2, 3], [1, 0, 1, 1, 0, 0]),
        "i1_5.npy": npy("|i1", [5], [0, 1, -1, 127, -128]),
        "i2_2x2.npy": npy("<i2", [2, 2], [0, 1, 300, 32767]),
        "i4_1x3.npy": npy("<i4", [1, 3], [0, 7, 2**31 - 1]),
        "i8_3.npy": npy("<i8", [3], [0, 1, 2**53 + 1]),
        "u2_2x1.npy": npy("<u2", [2, 1], [0, 65535]),
        "u4_2.npy": npy("<u4", [2], [0, 2**32 - 1]),
        "u8_2.npy": npy("<u8", [2], [0, 2**64 - 1]),
        "f8_v2_2x2.npy": npy("<f8", [2, 2], [0.0, 1.0, 2.0, 3.0], version=2),
        "f4_v3_1x1x1x2.npy": npy("<f4", [1, 1, 1, 2], [0.0, 1.0], version=3),
        "f4_0x3_empty.npy": npy("<f4", [0, 3], []),
    }


# ---------------------------------------------------------------- CSV


def csv_files():
    return {
        "header.csv": b"a,b,c\n1,2,3\n4.5,6e-1,7\n",
        "plain.csv": b"0,1\n2,3\n4,5\n",
        "tabs.tsv": b"x\ty\n1\t2\n3\t4\n",
        "semicolons.csv": b"1;2;3\n4;5;6\n",
        "quoted_bom_crlf.csv": b'\xef\xbb\xbf"p","q"\r\n "1" ,"2"\r\n\r\n3,+4\r\n',
        "special.csv": b"1e-400,nan,inf\n-0,1.5E+3,0.000001\n",
        "blank_lines.csv": b"\n  \n1,2\n\n3,4\n",
    }


# ---------------------------------------------------------------- model.json


def model(**changes):
    m = {"nmfkit_version": "0.1.0", "k": 3, "n_features": 64, "image_shape": [8, 8],
         "dtype": "float32", "scaled_from_uint8": True, "solver": "cd",
         "loss": "frobenius", "beta": 2.0, "alpha_w": 0.0, "alpha_h": 0.0, "l1_ratio": 0.0,
         "shuffle": False, "max_iter": 200, "tol": 0.0001, "seed": 0, "components": "H.npy"}
    m.update(changes)
    return (json.dumps(m, indent=2) + "\n").encode()


def model_json_files():
    return {
        "default.json": model(),
        "rgb_hals.json": model(image_shape=[4, 4, 3], n_features=48, solver="hals", k=2),
        "kl_float64.json": model(loss="kullback-leibler", beta=1.0, solver="mu",
                                 dtype="float64", scaled_from_uint8=False),
        "composite.json": model(alpha="composite", background="#ff8000", shuffle=True,
                                seed=7, alpha_w=0.1, l1_ratio=0.5),
        "mask_alpha.json": model(alpha="mask", image_shape=[2, 32], tol=0),
    }


# ---------------------------------------------------------------- mask (NPY of X's shape)


def mask_files():
    """Four parameter bytes (fuzz_mask.cpp): rows - 1, cols - 1, flags, NaN pattern; then the
    mask NPY."""
    return {
        "u1_4x6.bin": bytes([3, 5, 0, 0]) + npy("|u1", [4, 6], [i % 3 != 0 for i in range(24)]),
        "b1_2x3_nan.bin": bytes([1, 2, 2, 0x21]) + npy("|b1", [2, 3], [1, 1, 0, 1, 1, 1]),
        "f4_3x2x2_image.bin": bytes([2, 3, 4 | 8, 0]) + npy("<f4", [3, 2, 2], [1.0] * 12),
        "f8_limited_5x4.bin": bytes([2, 3, 1, 0]) + npy("<f8", [5, 4], [0.0, 1.0] * 10),
        "i8_1x16_fortran.bin": bytes([0, 15, 8, 0]) + npy("<i8", [1, 16], [1] * 16,
                                                           fortran=True),
    }


# ---------------------------------------------------------------- PNG


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def pack_row(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp, first_filter):
    """Each row with a filter byte, filters cycling 0..4 from first_filter."""
    out, prev = bytearray(), bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        f = (first_filter + i) % 5
        line = bytearray([f])
        for x, v in enumerate(row):
            a = row[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][f]
            line.append((v - pred) & 0xFF)
        out += line
        prev = row
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def png(width, height, depth, colour, pixels, interlace=False, palette=None, trns=None,
        first_filter=0):
    """pixels[y][x] is a tuple of samples (or a palette index for colour type 3)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    bpp = max(1, channels * depth // 8)

    def rows_of(xs, ys):
        return [pack_row([s for x in xs for s in pixels[y][x]], depth) for y in ys]

    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            xs, ys = list(range(x0, width, dx)), list(range(y0, height, dy))
            if xs and ys:
                raw += filter_rows(rows_of(xs, ys), bpp, first_filter)
    else:
        raw = filter_rows(rows_of(range(width), range(height)), bpp, first_filter)
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0,
                                          1 if interlace else 0))
    if palette is not None:
        out += png_chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    z = zlib.compress(raw, 9)
    out += png_chunk(b"IDAT", z[: len(z) // 2]) + png_chunk(b"IDAT", z[len(z) // 2:])
    return out + png_chunk(b"IEND", b"")


def grid(width, height, f):
    return [[f(x, y) for x in range(width)] for y in range(height)]


def png_files():
    w, h = 7, 5
    g8 = grid(w, h, lambda x, y: ((x * 40 + y * 13) & 0xFF,))
    rgb = grid(w, h, lambda x, y: (x * 36, y * 60, (x * y * 17) & 0xFF))
    rgba = grid(w, h, lambda x, y: (x * 36, y * 60, 200, 0 if (x + y) % 3 == 0 else 255))
    ga = grid(w, h, lambda x, y: (x * 36, (y * 64) & 0xFF))
    g16 = grid(w, h, lambda x, y: ((x * 9000 + y * 300) & 0xFFFF,))
    rgb16 = grid(3, 2, lambda x, y: (x * 30000, y * 65535, 12345))
    pal = [(i * 60, 255 - i * 60, 128) for i in range(4)]
    idxs = grid(w, h, lambda x, y: ((x + y) % 4,))
    files = {
        "gray8.png": png(w, h, 8, 0, g8),
        "gray16.png": png(w, h, 16, 0, g16, first_filter=2),
        "rgb8.png": png(w, h, 8, 2, rgb, first_filter=1),
        "rgba8.png": png(w, h, 8, 6, rgba, first_filter=3),
        "gray_alpha8.png": png(w, h, 8, 4, ga, first_filter=4),
        "rgb16.png": png(3, 2, 16, 2, rgb16),
        "palette_trns.png": png(w, h, 2, 3, idxs, palette=pal, trns=bytes([0, 128])),
        "gray_trns.png": png(w, h, 8, 0, g8, trns=struct.pack(">H", 40)),
        "rgb_interlaced.png": png(w, h, 8, 2, rgb, interlace=True, first_filter=4),
        "gray4_interlaced.png": png(w, h, 4, 0, grid(w, h, lambda x, y: ((x + 2 * y) % 16,)),
                                    interlace=True),
    }
    for depth in (1, 2):
        files["gray%d.png" % depth] = png(
            w, h, depth, 0, grid(w, h, lambda x, y: ((x * y + x) % (1 << depth),)))
    # Two parameter bytes (fuzz_image.hpp): channels/alpha mode, resize target.
    params = [b"\x00\x33", b"\x02\x47", b"\x03\x11", b"\x0d\x72", b"\x01\x00", b"\x07\xff"]
    return {name: params[i % len(params)] + data
            for i, (name, data) in enumerate(sorted(files.items()))}


# ---------------------------------------------------------------- JPEG

# Annex K: quantisation and Huffman tables (counts per code length 1..16, then the symbols).
Q_LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57,
          69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64,
          81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
Q_CHROMA = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99,
            99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32
DC_LUMA = ([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], list(range(12)))
DC_CHROMA = ([0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], list(range(12)))
AC_LUMA = ([0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D], bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f0"
    "2433627282090a161718191a25262728292a3435363738393a43444546474849"
    "4a535455565758595a636465666768696a737475767778797a83848586878889"
    "8a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5"
    "c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8"
    "f9fa"))
AC_CHROMA = ([0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77], bytes.fromhex(
    "000102031104052131061241510761711322328108144291a1b1c109233352f0"
    "156272d10a162434e125f11718191a262728292a35363738393a434445464748"
    "494a535455565758595a636465666768696a737475767778797a828384858687"
    "88898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3"
    "c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8"
    "f9fa"))
assert all(sum(t[0]) == len(t[1]) for t in (DC_LUMA, DC_CHROMA, AC_LUMA, AC_CHROMA))


def zigzag():
    order = []
    for s in range(15):
        rows = range(min(s, 7), max(0, s - 7) - 1, -1) if s % 2 == 0 else range(
            max(0, s - 7), min(s, 7) + 1)
        order += [r * 8 + (s - r) for r in rows]
    return order


ZIGZAG = zigzag()


def huffman_codes(table):
    counts, symbols = table
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            codes[symbols[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


class BitWriter:
    def __init__(self):
        self.out, self.acc, self.bits = bytearray(), 0, 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.bits += 1
            if self.bits == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)  # byte stuffing
                self.acc, self.bits = 0, 0

    def flush(self):
        if self.bits:
            self.put((1 << (8 - self.bits)) - 1, 8 - self.bits)


def magnitude(v):
    size = abs(v).bit_length()
    return size, (v if v >= 0 else v + (1 << size) - 1)


def quality_table(base, quality):
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return [min(255, max(1, (q * scale + 50) // 100)) for q in base]


def fdct_quantise(block, q):
    """8x8 samples (row-major) -> quantised coefficients in zigzag order."""
    coef = [0.0] * 64
    for v in range(8):
        for u in range(8):
            s = 0.0
            for y in range(8):
                cy = math.cos((2 * y + 1) * v * math.pi / 16)
                for x in range(8):
                    s += (block[y * 8 + x] - 128) * math.cos((2 * x + 1) * u * math.pi / 16) * cy
            cu = 1 / math.sqrt(2) if u == 0 else 1.0
            cv = 1 / math.sqrt(2) if v == 0 else 1.0
            coef[v * 8 + u] = 0.25 * cu * cv * s
    return [int(round(coef[ZIGZAG[i]] / q[ZIGZAG[i]])) for i in range(64)]


def jpeg(width, height, planes, sampling, qsel, quality=75, progressive=False, restart=0,
         adobe=None):
    """planes[c][y][x]: full-resolution samples of component c; sampling[c] = (h, v)."""
    hmax = max(h for h, _ in sampling)
    vmax = max(v for _, v in sampling)
    mcux = -(-width // (8 * hmax))
    mcuy = -(-height // (8 * vmax))
    qtables = [quality_table(Q_LUMA, quality), quality_table(Q_CHROMA, quality)]
    tables = [(DC_LUMA, AC_LUMA), (DC_CHROMA, AC_CHROMA)]
    # Each component downsampled and padded (edges repeated) to whole MCUs, cut into blocks.
    blocks = []
    for c, (h, v) in enumerate(sampling):
        fx, fy = hmax // h, vmax // v
        bw, bh = mcux * h, mcuy * v
        comp = []
        for by in range(bh):
            row = []
            for bx in range(bw):
                samples = []
                for y in range(8):
                    for x in range(8):
                        acc = 0
                        for dy in range(fy):
                            for dx in range(fx):
                                sx = min(((bx * 8 + x) * fx + dx), width - 1)
                                sy = min(((by * 8 + y) * fy + dy), height - 1)
                                acc += planes[c][sy][sx]
                        samples.append(acc // (fx * fy))
                row.append(fdct_quantise(samples, qtables[qsel[c]]))
            comp.append(row)
        blocks.append(comp)

    def seg(marker, payload):
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    out = b"\xff\xd8"
    if adobe is None:
        out += seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    else:
        out += seg(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, adobe))
    for t in sorted(set(qsel)):
        out += seg(0xDB, bytes([t]) + bytes(qtables[t][ZIGZAG[i]] for i in range(64)))
    sof = struct.pack(">BHHB", 8, height, width, len(sampling))
    for c, (h, v) in enumerate(sampling):
        sof += bytes([c + 1, (h << 4) | v, qsel[c]])
    out += seg(0xC2 if progressive else 0xC0, sof)
    for t in sorted(set(qsel)):
        for cls, table in ((0, tables[t][0]), (1, tables[t][1])):
            out += seg(0xC4, bytes([(cls << 4) | t] + table[0]) + bytes(table[1]))
    if restart:
        out += seg(0xDD, struct.pack(">H", restart))
    codes = [(huffman_codes(tables[t][0]), huffman_codes(tables[t][1])) for t in range(2)]

    def scan(comps, ss, se):
        """One scan over the listed components: DC (ss = 0) and/or AC coefficients ss..se."""
        header = bytes([len(comps)])
        for c in comps:
            header += bytes([c + 1, (qsel[c] << 4) | qsel[c]])
        data = seg(0xDA, header + bytes([ss, se, 0]))
        bits = BitWriter()
        pred = [0] * len(sampling)
        if len(comps) == 1:  # non-interleaved: the component's own block grid
            c = comps[0]
            h, v = sampling[c]
            cw = -(-(-(-width * h // hmax)) // 8)
            ch = -(-(-(-height * v // vmax)) // 8)
            units = [[(c, bx, by)] for by in range(ch) for bx in range(cw)]
        else:
            units = []
            for my in range(mcuy):
                for mx in range(mcux):
                    unit = []
                    for c in comps:
                        h, v = sampling[c]
                        unit += [(c, mx * h + dx, my * v + dy) for dy in range(v)
                                 for dx in range(h)]
                    units.append(unit)
        rst = 0
        for n, unit in enumerate(units):
            if restart and n > 0 and n % restart == 0:
                bits.flush()
                data += bytes(bits.out) + bytes([0xFF, 0xD0 + rst % 8])
                bits = BitWriter()
                rst += 1
                pred = [0] * len(sampling)
            for c, bx, by in unit:
                dc_codes, ac_codes = codes[qsel[c]]
                zz = blocks[c][by][bx]
                if ss == 0:
                    size, value = magnitude(zz[0] - pred[c])
                    pred[c] = zz[0]
                    bits.put(*dc_codes[size])
                    bits.put(value, size)
                if se > 0:
                    run = 0
                    last = max([i for i in range(max(ss, 1), se + 1) if zz[i] != 0], default=0)
                    for i in range(max(ss, 1), last + 1):
                        if zz[i] == 0:
                            run += 1
                            continue
                        while run > 15:
                            bits.put(*ac_codes[0xF0])
                            run -= 16
                        size, value = magnitude(zz[i])
                        bits.put(*ac_codes[(run << 4) | size])
                        bits.put(value, size)
                        run = 0
                    if last < se:
                        bits.put(*ac_codes[0x00])  # EOB (EOB0 in a progressive scan)
        bits.flush()
        return data + bytes(bits.out)

    comps = list(range(len(sampling)))
    if progressive:
        out += scan(comps, 0, 0)  # DC of every component, interleaved
        out += scan([0], 1, 5)  # spectral selection: low then high AC bands of the first
        out += scan([0], 6, 63)
        for c in comps[1:]:
            out += scan([c], 1, 63)
    else:
        out += scan(comps, 0, 63)
    return out + b"\xff\xd9"


def jpeg_files():
    w, h = 19, 13
    r = grid(w, h, lambda x, y: (x * 13) & 0xFF)
    g = grid(w, h, lambda x, y: (y * 19 + x * 3) & 0xFF)
    b = grid(w, h, lambda x, y: ((x ^ y) * 11) & 0xFF)

    def ycc(x, y):
        R, G, B = r[y][x], g[y][x], b[y][x]
        return (0.299 * R + 0.587 * G + 0.114 * B,
                -0.168736 * R - 0.331264 * G + 0.5 * B + 128,
                0.5 * R - 0.418688 * G - 0.081312 * B + 128)

    planes = [grid(w, h, lambda x, y, c=c: min(255, max(0, int(round(ycc(x, y)[c])))))
              for c in range(3)]
    gray = [g]
    files = {
        "gray_baseline.jpg": jpeg(w, h, gray, [(1, 1)], [0]),
        "ycc444_baseline.jpg": jpeg(w, h, planes, [(1, 1)] * 3, [0, 1, 1], quality=90),
        "ycc420_restart.jpg": jpeg(w, h, planes, [(2, 2), (1, 1), (1, 1)], [0, 1, 1],
                                   restart=1),
        "ycc422.jpg": jpeg(w, h, planes, [(2, 1), (1, 1), (1, 1)], [0, 1, 1], quality=50),
        "ycc444_progressive.jpg": jpeg(16, 8, [[row[:16] for row in p[:8]] for p in planes],
                                       [(1, 1)] * 3, [0, 1, 1], progressive=True),
        "gray_progressive_restart.jpg": jpeg(w, h, gray, [(1, 1)], [0], progressive=True,
                                             restart=2),
        "cmyk_adobe.jpg": jpeg(8, 8, [[row[:8] for row in p[:8]] for p in (r, g, b, gray[0])],
                               [(1, 1)] * 4, [0, 0, 0, 0], adobe=0),
    }
    params = [b"\x00\x33", b"\x02\x47", b"\x03\x11", b"\x0d\x72", b"\x01\x00", b"\x07\xff"]
    return {name: params[i % len(params)] + data
            for i, (name, data) in enumerate(sorted(files.items()))}


# ---------------------------------------------------------------- BMP


def bmp(width, height, bpp, rows, palette=None, top_down=False, header=40, masks=None):
    """rows[y]: the packed bytes of row y (top row first), padded here to 4 bytes."""
    stride = (width * bpp + 31) // 32 * 4
    data = b"".join(row + bytes(stride - len(row)) for row in
                    (rows if top_down else list(reversed(rows))))
    pal = b"".join(bytes([c[2], c[1], c[0], 0]) for c in palette) if palette else b""
    if header == 12:
        info = struct.pack("<IHHHH", 12, width, height, 1, bpp)
        pal = b"".join(bytes([c[2], c[1], c[0]]) for c in palette) if palette else b""
    else:
        compression = 3 if masks else 0
        info = struct.pack("<IiiHHIIiiII", header, width, -height if top_down else height, 1,
                           bpp, compression, len(data), 2835, 2835,
                           len(palette) if palette else 0, 0)
        if header >= 52:
            info += struct.pack("<IIII", *masks) if masks else bytes(16)
        info += bytes(header - len(info))
    offset = 14 + len(info) + len(pal)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + pal + data


def bmp_files():
    w, h = 5, 3
    rgb = [bytes(v for x in range(w) for v in ((x * 50) & 0xFF, y * 100, 200)) for y in range(h)]
    bgra = [bytes(v for x in range(w) for v in (200, y * 100, x * 50, 0 if x == 2 else 255))
            for y in range(h)]
    pal = [(i * 16, 255 - i * 16, (i * 40) & 0xFF) for i in range(16)]
    p8 = [bytes((x + y * w) % 16 for x in range(w)) for y in range(h)]
    p4 = [bytes(((2 * i) % 16) << 4 | (2 * i + 1) % 16 for i in range((w + 1) // 2))
          for _ in range(h)]
    p1 = [bytes([0b10110000 if y % 2 else 0b01001000]) for y in range(h)]
    rgb555 = [b"".join(struct.pack("<H", (x << 10) | (y << 5) | 31) for x in range(w))
              for y in range(h)]
    files = {
        "rgb24.bmp": bmp(w, h, 24, rgb),
        "rgb24_top_down.bmp": bmp(w, h, 24, rgb, top_down=True),
        "bgra32_bitfields_v4.bmp": bmp(w, h, 32, bgra, header=108,
                                       masks=(0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000)),
        "rgb32.bmp": bmp(w, h, 32, bgra),
        "pal8.bmp": bmp(w, h, 8, p8, palette=pal),
        "pal4.bmp": bmp(w, h, 4, p4, palette=pal),
        "pal1.bmp": bmp(w, h, 1, p1, palette=[(0, 0, 0), (255, 255, 255)]),
        "rgb555_16.bmp": bmp(w, h, 16, rgb555),
        "os2_rgb24.bmp": bmp(w, h, 24, rgb, header=12),
    }
    params = [b"\x00\x33", b"\x02\x47", b"\x03\x11", b"\x0d\x72", b"\x01\x00", b"\x07\xff"]
    return {name: params[i % len(params)] + data
            for i, (name, data) in enumerate(sorted(files.items()))}


# ---------------------------------------------------------------- PGM / PPM


def pnm_files():
    files = {
        "gray8.pgm": b"P5\n4 3\n255\n" + pattern(12),
        "gray16_comment.pgm": b"P5\n# made by make_corpus.py\n3 2\n65535\n" + pattern(12, 1),
        "gray_max15.pgm": b"P5 3 1 15\n" + bytes([0, 15, 7]),
        "rgb8.ppm": b"P6\n3 2\n255\n" + pattern(18, 2),
        "rgb16.ppm": b"P6\t2\r2\n1000\n" + pattern(24, 3),
    }
    params = [b"\x00\x33", b"\x02\x47", b"\x03\x11", b"\x0d\x72", b"\x01\x00", b"\x07\xff"]
    return {name: params[i % len(params)] + data
            for i, (name, data) in enumerate(sorted(files.items()))}


# ---------------------------------------------------------------- main

TARGETS = {
    "idx": idx_files, "idx_gzip": idx_gzip_files, "npy": npy_files, "csv": csv_files,
    "png": png_files, "jpeg": jpeg_files, "bmp": bmp_files, "pnm": pnm_files,
    "model_json": model_json_files, "mask": mask_files,
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    total = 0
    for target, make in TARGETS.items():
        folder = os.path.join(root, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name, data in make().items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            total += len(data)
        print("%-10s %2d files" % (target, len(make())))
    print("%d bytes in %s" % (total, root))


if __name__ == "__main__":
    main()
