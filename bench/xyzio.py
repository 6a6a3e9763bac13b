"""Minimal extended-XYZ and LAMMPS-data I/O for the benchmark scripts.

Only what the bench needs: orthogonal or general cells given by Lattice, the
species and pos columns, and any real scalar column (the eb label). Files are
written under a temporary name and renamed.
"""
import os
import re

import numpy as np


def _header_items(line):
    """key=value pairs of an extended-XYZ comment line (values may be quoted)."""
    items = {}
    for m in re.finditer(r'(\w+)=("([^"]*)"|\S+)', line):
        items[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return items


def read_extxyz(path):
    """First frame: dict with lattice (3x3 rows), species (list), pos (N x 3),
    and every real scalar column by name (e.g. 'eb')."""
    with open(path) as f:
        n = int(f.readline())
        head = _header_items(f.readline())
        lines = [f.readline() for _ in range(n)]
    lattice = np.array([float(v) for v in head["lattice"].split()]).reshape(3, 3)
    props = head["properties"].split(":")
    cols, at = [], 0
    for i in range(0, len(props), 3):
        name, kind, width = props[i], props[i + 1], int(props[i + 2])
        cols.append((name, kind, at, width))
        at += width
    table = [ln.split() for ln in lines]
    out = {"lattice": lattice, "natoms": n}
    for name, kind, start, width in cols:
        if name == "species":
            out["species"] = [row[start] for row in table]
        elif name == "pos":
            out["pos"] = np.array([[float(v) for v in row[start:start + 3]] for row in table])
        elif kind == "R" and width == 1:
            out[name] = np.array([float(row[start]) for row in table])
    return out


def _atomic_write(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_extxyz(path, lattice, species, pos, extra=None):
    """Write one frame with species, pos and optional real columns {name: values}."""
    extra = extra or {}
    lat = " ".join(f"{v:.8f}" for v in np.asarray(lattice).reshape(9))
    props = "species:S:1:pos:R:3" + "".join(f":{k}:R:1" for k in extra)
    rows = [f"{len(species)}", f'Lattice="{lat}" Properties={props} pbc="T T T"']
    vals = list(extra.values())
    for i, s in enumerate(species):
        x, y, z = pos[i]
        tail = "".join(f" {v[i]:.6f}" for v in vals)
        rows.append(f"{s} {x:.6f} {y:.6f} {z:.6f}{tail}")
    _atomic_write(path, "\n".join(rows) + "\n")


def write_lammps_data(path, lattice, species, pos, elements=("Cu", "Zr")):
    """LAMMPS atomic data file for an orthogonal cell with origin 0 (types in
    the order of `elements`)."""
    lat = np.asarray(lattice)
    if np.count_nonzero(lat - np.diag(np.diag(lat))):
        raise ValueError("write_lammps_data: only orthogonal cells are supported")
    masses = {"Cu": 63.546, "Zr": 91.224}
    rows = ["LAMMPS data file written by bench/xyzio.py", "",
            f"{len(species)} atoms", f"{len(elements)} atom types", ""]
    for k, name in zip("xyz", np.diag(lat)):
        rows.append(f"0.0 {name:.8f} {k}lo {k}hi")
    rows += ["", "Masses", ""]
    rows += [f"{i + 1} {masses[e]}" for i, e in enumerate(elements)]
    rows += ["", "Atoms # atomic", ""]
    for i, (s, p) in enumerate(zip(species, pos)):
        rows.append(f"{i + 1} {elements.index(s) + 1} {p[0]:.6f} {p[1]:.6f} {p[2]:.6f}")
    _atomic_write(path, "\n".join(rows) + "\n")
