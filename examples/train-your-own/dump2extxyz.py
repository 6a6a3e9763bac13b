#!/usr/bin/env python3
"""Turn LAMMPS text dumps with per-atom labels into extended XYZ training files.

    dump2extxyz.py DUMP [DUMP...] --elements Cu,Zr --label COLUMN [-o OUT.extxyz]

Each frame of each dump (columns id, type, x y z or xu yu zu, and COLUMN) becomes one
configuration: the box as Lattice (orthogonal or triclinic, origin moved to 0), the atoms sorted
by id, species from the type (type 1 = first element, ...), and the label column written as
`eb` in eV. The trainer takes one configuration per file, so each frame is written to its own
file <dump without extension>-<frame number>.extxyz, or, for a single frame, to OUT with -o.
Files are written under a temporary name and renamed. Only the Python standard library is used.
"""
import argparse
import math
import os
import sys


def fail(msg):
    """Stop with a message naming the problem (exit status 1)."""
    sys.exit(f"dump2extxyz.py: error: {msg}")


def frames(path):
    """Yield (box lines, column names, atom rows) for every frame of a LAMMPS text dump."""
    with open(path) as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("ITEM: TIMESTEP"):
            fail(f"{path}:{i + 1}: expected 'ITEM: TIMESTEP', got '{lines[i]}'")
        natoms = int(lines[i + 3])
        box_head = lines[i + 4]
        box = [lines[i + 5 + k].split() for k in range(3)]
        atoms_head = lines[i + 8]
        if not atoms_head.startswith("ITEM: ATOMS"):
            fail(f"{path}:{i + 9}: expected 'ITEM: ATOMS', got '{atoms_head}'")
        rows = [lines[i + 9 + k].split() for k in range(natoms)]
        yield box_head, box, atoms_head.split()[2:], rows
        i += 9 + natoms


def lattice(box_head, box):
    """Lattice vectors (a, b, c as rows) and origin from a dump's BOX BOUNDS lines."""
    tilted = "xy" in box_head.split()
    lo = [float(b[0]) for b in box]
    hi = [float(b[1]) for b in box]
    xy = xz = yz = 0.0
    if tilted:
        xy, xz, yz = (float(b[2]) for b in box)
        # the dump gives the bounding box of the tilted cell
        lo[0] -= min(0.0, xy, xz, xy + xz)
        hi[0] -= max(0.0, xy, xz, xy + xz)
        lo[1] -= min(0.0, yz)
        hi[1] -= max(0.0, yz)
    a = (hi[0] - lo[0], 0.0, 0.0)
    b = (xy, hi[1] - lo[1], 0.0)
    c = (xz, yz, hi[2] - lo[2])
    return (a, b, c), lo


def write_extxyz(out, box_head, box, cols, rows, elements, label, source):
    """One configuration in extended XYZ: Lattice, species, positions and the label as eb."""
    need = ["id", "type", label]
    pos = ["x", "y", "z"] if "x" in cols else ["xu", "yu", "zu"]
    for c in need + pos:
        if c not in cols:
            fail(f"{source}: no column '{c}' (columns: {' '.join(cols)})")
    k = {c: cols.index(c) for c in need + pos}
    vectors, origin = lattice(box_head, box)
    lines = [str(len(rows)),
             'Lattice="{}" Properties=id:I:1:species:S:1:pos:R:3:eb:R:1 pbc="T T T"'.format(
                 " ".join(repr(v) for vec in vectors for v in vec))]
    for r in sorted(rows, key=lambda r: int(r[k["id"]])):
        t = int(r[k["type"]])
        if not 1 <= t <= len(elements):
            fail(f"{source}: atom {r[k['id']]} has type {t}, but only {len(elements)} elements "
                 f"were given ({','.join(elements)})")
        eb = float(r[k[label]])
        if not math.isfinite(eb):
            fail(f"{source}: atom {r[k['id']]} has the label {r[k[label]]}")
        x = [float(r[k[p]]) - origin[d] for d, p in enumerate(pos)]
        lines.append(f"{r[k['id']]} {elements[t - 1]} {x[0]!r} {x[1]!r} {x[2]!r} {eb!r}")
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, out)


def main():
    """Convert every frame of every dump given on the command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dumps", nargs="+")
    p.add_argument("--elements", required=True, help="element of type 1, 2, ...: Cu,Zr")
    p.add_argument("--label", required=True, help="dump column holding the label (eV)")
    p.add_argument("-o", dest="out", help="output file (several frames: OUT-1, OUT-2, ...)")
    a = p.parse_args()
    elements = a.elements.split(",")
    outputs = []
    for dump in a.dumps:
        if not os.path.isfile(dump):
            fail(f"cannot open '{dump}'")
        for n, frame in enumerate(frames(dump), 1):
            outputs.append((f"{os.path.splitext(dump)[0]}-{n}.extxyz", frame, f"{dump} frame {n}"))
    if a.out:
        if len(outputs) != 1:
            fail(f"-o names one file, but the dumps hold {len(outputs)} frames")
        outputs[0] = (a.out,) + outputs[0][1:]
    for out, (box_head, box, cols, rows), source in outputs:
        write_extxyz(out, box_head, box, cols, rows, elements, a.label, source)
        print(out)


if __name__ == "__main__":
    main()
