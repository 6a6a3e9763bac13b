#!/usr/bin/python3
"""Benchmark systems: Cu64Zr36 glasses of 32000 and 256000 atoms made by
replicating train0 (8000 atoms: 2x2x1 and 4x4x2 cells), and a 3000-atom glass.

usage: make_systems.py OUTDIR DATADIR [--glass3000 LAMMPS_DATA]
  DATADIR holds train0.extxyz and train6.extxyz (/work/shared/data/cuzr-eb).
  writes OUTDIR/cuzr_32000.extxyz, cuzr_256000.extxyz and their LAMMPS data
  files (.data), and cuzr_3000.extxyz (+ .data):
  - from LAMMPS_DATA (write_data output of bench/glass3000.lmp: melt-quench
    of 3000 atoms with the Mendelev Cu-Zr EAM) when given;
  - otherwise a cube cut from train0 (the 3000 atoms nearest one corner in
    the max norm, in a cube of train0's density) treated as periodic: the
    cut faces meet unrelaxed, so a few pairs across them are unphysically
    close; the number of edges per atom stays close to the glass's.
Prints one line per system: name atoms how.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xyzio import read_extxyz, write_extxyz, write_lammps_data  # noqa: E402


def replicate(cfg, nx, ny, nz):
    """Periodic replica of an orthogonal cell, nx x ny x nz times."""
    lat = cfg["lattice"]
    L = np.diag(lat)
    pos, spe = [], []
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                pos.append(cfg["pos"] + L * np.array([i, j, k]))
                spe += cfg["species"]
    return np.diag(L * np.array([nx, ny, nz])), spe, np.concatenate(pos)


def spatial_sort(system, binsize=5.0):
    """Same atoms in the order of a cell list (binsize bins, x slowest): neighbours get
    nearby indices, as in LAMMPS, which sorts atoms spatially by default."""
    lat, spe, pos = system
    L = np.diag(lat)
    nb = np.maximum((L / binsize).astype(int), 1)
    cell = np.floor(pos / L * nb).astype(int) % nb
    order = np.argsort((cell[:, 0] * nb[1] + cell[:, 1]) * nb[2] + cell[:, 2], kind="stable")
    return lat, [spe[i] for i in order], pos[order]


def cube_cut(cfg, n):
    """The n atoms nearest the origin corner (max norm) in a cube of cfg's density."""
    L = np.diag(cfg["lattice"])
    side = (n / (len(cfg["species"]) / np.prod(L))) ** (1.0 / 3.0)
    order = np.argsort(np.max(cfg["pos"], axis=1), kind="stable")[:n]
    pos = np.mod(cfg["pos"][order], side)
    return np.diag([side] * 3), [cfg["species"][i] for i in order], pos, order


def read_lammps_data(path, elements=("Cu", "Zr")):
    """Orthogonal-box atomic data file from write_data: cell, species, wrapped positions."""
    lo, hi, atoms, section = {}, {}, [], None
    with open(path) as f:
        for line in f:
            words = line.split("#")[0].split()
            if len(words) == 4 and words[2].endswith("lo") and words[3].endswith("hi"):
                lo[words[2][0]], hi[words[2][0]] = float(words[0]), float(words[1])
            elif line.startswith("Atoms"):
                section = "atoms"
            elif line[:1].isalpha():
                section = None
            elif section == "atoms" and len(words) >= 5:
                atoms.append((int(words[0]), int(words[1]), *map(float, words[2:5])))
    atoms.sort()
    L = np.array([hi[k] - lo[k] for k in "xyz"])
    origin = np.array([lo[k] for k in "xyz"])
    pos = np.mod(np.array([a[2:5] for a in atoms]) - origin, L)
    return np.diag(L), [elements[a[1] - 1] for a in atoms], pos


def main():
    args = sys.argv[1:]
    if len(args) not in (2, 4) or (len(args) == 4 and args[2] != "--glass3000"):
        raise SystemExit(__doc__)
    out, data = args[0], args[1]
    os.makedirs(out, exist_ok=True)
    cfg = read_extxyz(os.path.join(data, "train0.extxyz"))
    systems = [("cuzr_32000", replicate(cfg, 2, 2, 1), "train0 replicated 2x2x1"),
               ("cuzr_256000", replicate(cfg, 4, 4, 2), "train0 replicated 4x4x2")]
    if len(args) == 4:
        systems.append(("cuzr_3000", read_lammps_data(args[3]),
                        "LAMMPS melt-quench, Mendelev EAM (bench/glass3000.lmp)"))
    else:
        systems.append(("cuzr_3000", cube_cut(cfg, 3000)[:3],
                        "cube cut from train0, treated as periodic (no LAMMPS)"))
    systems += [(name + "_sorted", spatial_sort(system), how + ", atoms in cell-list order")
                for name, system, how in systems[:2]]
    for name, (lat, spe, pos), how in systems:
        write_extxyz(os.path.join(out, name + ".extxyz"), lat, spe, pos)
        write_lammps_data(os.path.join(out, name + ".data"), lat, spe, pos)
        print(f"{name} {len(spe)} {how}")
    val = read_extxyz(os.path.join(data, "train6.extxyz"))
    lat, spe, pos, order = cube_cut(val, 500)
    write_extxyz(os.path.join(out, "val_500.extxyz"), lat, spe, pos, {"eb": val["eb"][order]})
    print("val_500 500 cube cut from train6 with eb labels (trainer validation)")


if __name__ == "__main__":
    main()
