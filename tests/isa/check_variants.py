#!/usr/bin/env python3
"""Checks the instruction-set variants of the hot kernels in a built binary (objdump -d).

usage: check_variants.py OBJDUMP BINARY [--no-width]

- No function outside the variant namespaces (nmfkit::kernels::isa_avx2, isa_avx512) holds an
  AVX instruction (VEX or EVEX encoded: mnemonics starting with 'v', ymm/zmm/mask registers):
  such a function may be shared with baseline code, and a CPU without AVX would fault there.
- The avx2 variant holds no AVX-512 instruction.
- The hot loops of each variant use its full vector width: 256-bit (ymm) registers for avx2,
  512-bit (zmm) for avx512 (not checked with --no-width: unoptimised builds do not vectorise).
"""
import re
import subprocess
import sys

VARIANTS = ("isa_avx2", "isa_avx512")
HOT = ("times_row<", "scatter_rows<", "coordinate_descent_lanes<", "gram_add_rows<",
       "extrapolate_range<")
WIDTH = {"isa_avx2": "ymm", "isa_avx512": "zmm"}
AVX512_ONLY = re.compile(r"%zmm|%[xy]mm(1[6-9]|2[0-9]|3[01])\b|%k[0-7]\b|\{%k")
AVX = re.compile(r"%[yz]mm|%k[0-7]\b")
HEADER = re.compile(r"^[0-9a-f]+ <(.*)>:$")


def variant_of(name):
    for v in VARIANTS:
        if f"::{v}::" in name:
            return v
    return None


def main():
    objdump, binary = sys.argv[1], sys.argv[2]
    check_width = "--no-width" not in sys.argv[3:]
    proc = subprocess.Popen([objdump, "-d", "-C", "--no-show-raw-insn", binary],
                            stdout=subprocess.PIPE, text=True, errors="replace")
    name, variant = None, None
    leaks = {}  # non-variant function -> first AVX instruction
    wide = {}   # (variant, hot name) -> whether it used the variant's width
    avx512_in_avx2 = {}
    counts = {v: 0 for v in VARIANTS}
    for line in proc.stdout:
        m = HEADER.match(line)
        if m:
            name = m.group(1)
            variant = variant_of(name)
            if variant:
                counts[variant] += 1
                for hot in HOT:
                    if f"::{variant}::{hot}" in name or f"::{variant}::(anonymous namespace)::{hot}" in name:
                        wide.setdefault((variant, hot), False)
            continue
        fields = line.rstrip("\n").split("\t")
        if name is None or len(fields) < 2 or not fields[-1].strip():
            continue
        insn = fields[-1].strip()
        is_avx = insn.startswith("v") or AVX.search(insn) is not None
        if variant is None:
            if is_avx and name not in leaks:
                leaks[name] = insn
            continue
        if variant == "isa_avx2" and AVX512_ONLY.search(insn) and name not in avx512_in_avx2:
            avx512_in_avx2[name] = insn
        for hot in HOT:
            key = (variant, hot)
            if key in wide and f"%{WIDTH[variant]}" in insn and (
                    f"::{variant}::{hot}" in name or f"::{variant}::(anonymous namespace)::{hot}" in name):
                wide[key] = True
    if proc.wait() != 0:
        sys.exit(f"{objdump} failed on {binary}")

    failures = []
    for fn, insn in sorted(leaks.items()):
        failures.append(f"AVX instruction outside the variants, in {fn}: {insn}")
    for fn, insn in sorted(avx512_in_avx2.items()):
        failures.append(f"AVX-512 instruction in the avx2 variant, in {fn}: {insn}")
    for v in VARIANTS:
        if counts[v] == 0:
            failures.append(f"no function of the {v} variant in {binary}")
        for hot in HOT:
            if (v, hot) not in wide:
                failures.append(f"{v}: no {hot}...> found")
            elif check_width and not wide[(v, hot)]:
                failures.append(f"{v}: {hot}...> uses no {WIDTH[v]} register")
    for v in VARIANTS:
        print(f"{v}: {counts[v]} functions; hot loops with {WIDTH[v]}: "
              + ", ".join(h.rstrip("<") for h in HOT if wide.get((v, h))))
    if failures:
        print("\n".join(failures[:50]))
        if len(failures) > 50:
            print(f"... and {len(failures) - 50} more")
        sys.exit(1)
    print("no AVX instruction outside the variants")


if __name__ == "__main__":
    main()
