#!/usr/bin/env python3
"""Convert the SymGNN paper's data pickles into extended XYZ training files.

    convert_symgnn_pickle.py PICKLE [PICKLE...] [-o OUTDIR] [--elements Cu,Zr] [--digits 6]

The public data of Li et al. (ICML 2024, arXiv:2401.08627), repository haoyuli02/SymGNN,
directory datasets/raw_data/ (train0-6.pickle, test0-1.pickle), holds one glass sample per
pickle: a dict converted from a MATLAB file, with per-atom numpy arrays
    box (3,) float32                      orthorhombic box lengths (Angstrom)
    positions (N, 3) float64              coordinates, centred on 0: each in [-L/2, L/2]
    types (N,) int32                      1 = first element (Cu), 2 = second (Zr)
    trajectory_start_velocities (N,)      the energy barrier label (eV), despite its name
    pot, press, von (N,) float32          per-atom potential energy (eV), pressure, von Mises
    pos (N, 1) uint16                     the original atom ids
Each PICKLE becomes OUTDIR/<name>.extxyz (default: next to the pickle) with
    Lattice="Lx 0 0 0 Ly 0 0 0 Lz" Properties=id:I:1:species:S:1:pos:R:3:eb:R:1[:pe:R:1:press:R:1:von:R:1] pbc="T T T"
positions shifted by +L/2 and wrapped into [0, L), labels unchanged; pe, press and von only
when the pickle has pot, press and von. Files are written under a temporary name and renamed.
Needs python3 and numpy only (the arrays in the pickles are numpy arrays).
"""
import argparse
import os
import pickle
import sys

try:
    import numpy as np
except ImportError:
    sys.exit("convert_symgnn_pickle.py: error: numpy is needed to read the pickles "
             "(Debian: apt-get install python3-numpy)")

LABEL = "trajectory_start_velocities"
EXTRA = (("pot", "pe"), ("press", "press"), ("von", "von"))


def fail(msg):
    """Stop with a message naming the file and the problem (exit status 1)."""
    sys.exit(f"convert_symgnn_pickle.py: error: {msg}")


def per_atom(data, key, n, path, shape=None):
    """The array data[key] as numpy, checked to hold one finite value (or row) per atom."""
    a = np.asarray(data[key])
    if shape is not None and a.shape != shape:
        fail(f"{path}: '{key}' has shape {a.shape}, expected {shape}")
    if shape is None and a.reshape(-1).shape != (n,):
        fail(f"{path}: '{key}' has shape {a.shape}, expected {n} values (one per atom)")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        bad = int(np.flatnonzero(~np.isfinite(a.reshape(len(a), -1)).any(axis=1))[0])
        fail(f"{path}: '{key}' of atom {bad + 1} is not finite")
    return a if shape is not None else a.reshape(-1)


def load(path):
    """The sample of one pickle: box, positions, types, label and the optional columns."""
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        fail(f"cannot read '{path}': {e}")
    if not isinstance(data, dict):
        fail(f"{path}: expected a dict, got {type(data).__name__}")
    for key in ("box", "positions", "types", LABEL):
        if key not in data:
            fail(f"{path}: no '{key}' (keys: {', '.join(sorted(map(str, data)))})")
    pos = np.asarray(data["positions"], dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3 or len(pos) == 0:
        fail(f"{path}: 'positions' has shape {pos.shape}, expected (N, 3)")
    n = len(pos)
    box = per_atom(data, "box", 3, path, shape=(3,))
    if not np.all(box > 0):
        fail(f"{path}: box lengths must be positive, got {box.tolist()}")
    per_atom(data, "positions", n, path, shape=(n, 3))
    types = per_atom(data, "types", n, path).astype(np.int64)
    ids = per_atom(data, "pos", n, path).astype(np.int64) if "pos" in data else np.arange(1, n + 1)
    if sorted(ids.tolist()) != list(range(1, n + 1)):
        fail(f"{path}: 'pos' is not a permutation of the atom ids 1..{n}")
    label = per_atom(data, LABEL, n, path)
    extra = [(name, per_atom(data, key, n, path)) for key, name in EXTRA if key in data]
    return box, pos, types, ids, label, extra


def fmt(x, digits):
    """A value as fixed-point text with `digits` decimals."""
    return f"{x:.{digits}f}"


def convert(path, out, elements, digits):
    """Write the sample of `path` as one extended-XYZ configuration to `out`."""
    box, pos, types, ids, label, extra = load(path)
    bad = np.flatnonzero((types < 1) | (types > len(elements)))
    if len(bad):
        fail(f"{path}: atom {bad[0] + 1} has type {types[bad[0]]}; --elements names "
             f"{len(elements)} types ({','.join(elements)})")
    lengths = box.astype(np.float64)
    wrapped = np.mod(pos + lengths / 2, lengths)
    wrapped[wrapped >= lengths] = 0.0  # mod can round up to L itself
    props = "id:I:1:species:S:1:pos:R:3:eb:R:1" + "".join(f":{name}:R:1" for name, _ in extra)
    lattice = f"{box[0]} 0 0 0 {box[1]} 0 0 0 {box[2]}"
    lines = [str(len(pos)), f'Lattice="{lattice}" Properties={props} pbc="T T T"']
    for i in range(len(pos)):
        cols = [str(ids[i]), elements[types[i] - 1]]
        cols += [fmt(v, digits) for v in wrapped[i]]
        cols.append(fmt(label[i], digits))
        cols += [fmt(values[i], digits) for _, values in extra]
        lines.append(" ".join(cols))
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, out)
    counts = ", ".join(f"{np.count_nonzero(types == t + 1)} {e}" for t, e in enumerate(elements))
    print(f"{out}: {len(pos)} atoms ({counts}), box {' x '.join(str(b) for b in box)} A, "
          f"EB mean {label.mean():.4f} eV")


def main():
    """Convert every pickle named on the command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("pickles", nargs="+")
    p.add_argument("-o", dest="outdir", help="output directory (default: next to each pickle)")
    p.add_argument("--elements", default="Cu,Zr", help="element of type 1, 2, ... (default Cu,Zr)")
    p.add_argument("--digits", type=int, default=6,
                   help="decimals of positions and per-atom values (default 6)")
    a = p.parse_args()
    elements = a.elements.split(",")
    if a.outdir:
        os.makedirs(a.outdir, exist_ok=True)
    for path in a.pickles:
        name = os.path.splitext(os.path.basename(path))[0] + ".extxyz"
        convert(path, os.path.join(a.outdir or os.path.dirname(path) or ".", name), elements,
                a.digits)


if __name__ == "__main__":
    main()
