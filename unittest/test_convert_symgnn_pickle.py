#!/usr/bin/env python3
"""Test of tools/train/convert_symgnn_pickle.py on synthetic pickles with the layout of the
paper's data (a dict from a MATLAB file; box, positions centred on 0, types 1/2, the label in
trajectory_start_velocities, pot/press/von, pos = atom ids as uint16 (N, 1)):

    test_convert_symgnn_pickle.py CONVERTER SYMGNN_PREDICT MODEL WORKDIR

Checks every value of the converted file against the pickle, that symgnn-predict reads it,
and that damaged pickles are refused with a message naming the problem."""
import os
import pickle
import subprocess
import sys

import numpy as np

converter, predict, model, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
failures = []


def check(cond, msg):
    """Record a failed expectation."""
    if not cond:
        failures.append(msg)


def sample(n=60, seed=7):
    """A random sample in the paper's layout (positions centred, some exactly at -L/2)."""
    rng = np.random.default_rng(seed)
    box = np.array([12.5, 13.25, 11.75], dtype=np.float32)
    pos = (rng.random((n, 3)) - 0.5) * box.astype(np.float64)
    pos[0] = -box / 2  # on the lower face: wraps to 0
    types = np.where(rng.random(n) < 0.64, 1, 2).astype(np.int32)
    return {
        "__header__": b"MATLAB 5.0 MAT-file, synthetic test sample",
        "__version__": "1.0",
        "__globals__": [],
        "box": box,
        "positions": pos,
        "types": types,
        "trajectory_start_velocities": rng.normal(1.6, 0.3, n).astype(np.float32),
        "pot": rng.normal(-4.5, 1.0, n).astype(np.float32),
        "press": rng.normal(0.0, 1.0, n).astype(np.float32),
        "von": np.abs(rng.normal(1.0, 0.5, n)).astype(np.float32),
        "pos": rng.permutation(np.arange(1, n + 1)).astype(np.uint16).reshape(n, 1),
    }


def write(name, data):
    """Pickle `data` as WORK/name.pickle; return its path."""
    path = os.path.join(work, name + ".pickle")
    with open(path, "wb") as f:
        pickle.dump(data, f)
    return path


def run(*args):
    """Run a command; return (status, stdout, stderr)."""
    r = subprocess.run(list(args), capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


# A good sample: every value of the extended XYZ against the pickle.
data = sample()
src = write("good", data)
out = os.path.join(work, "good.extxyz")
if os.path.exists(out):
    os.remove(out)
status, stdout, stderr = run(sys.executable, converter, src, "-o", work)
check(status == 0, f"conversion failed: {stderr}")
check("good.extxyz: 60 atoms (" in stdout, f"no summary line: {stdout}")
lines = open(out).read().splitlines()
check(lines[0] == "60", f"atom count line {lines[0]}")
check(lines[1] == 'Lattice="12.5 0 0 0 13.25 0 0 0 11.75" '
      'Properties=id:I:1:species:S:1:pos:R:3:eb:R:1:pe:R:1:press:R:1:von:R:1 pbc="T T T"',
      f"header line {lines[1]}")
box = data["box"].astype(np.float64)
for i, line in enumerate(lines[2:]):
    c = line.split()
    check(len(c) == 9, f"atom {i + 1}: {len(c)} columns")
    check(int(c[0]) == int(data["pos"][i, 0]), f"atom {i + 1}: id {c[0]}")
    check(c[1] == ("Cu" if data["types"][i] == 1 else "Zr"), f"atom {i + 1}: species {c[1]}")
    x = np.array([float(v) for v in c[2:5]])
    want = np.mod(data["positions"][i] + box / 2, box)
    check(np.all(np.abs(x - want) <= 5.1e-7) and np.all((x >= 0) & (x < box)),
          f"atom {i + 1}: position {x} (expected {want}, inside [0, L))")
    for k, key in enumerate(("trajectory_start_velocities", "pot", "press", "von")):
        check(abs(float(c[5 + k]) - float(data[key][i])) <= 5.1e-7, f"atom {i + 1}: {key} {c[5 + k]}")
check(all(float(v) == 0.0 for v in lines[2].split()[2:5]), f"the atom at -L/2 is not at 0: {lines[2]}")
status, stdout, stderr = run(predict, model, out)
check(status == 0 and "atoms: 60" in stdout and "label: eb" in stdout,
      f"symgnn-predict does not read the converted file: {stderr}{stdout}")

# Damaged pickles: refused with a message naming the problem.
bad_cases = {
    "nolabel": ({k: v for k, v in data.items() if k != "trajectory_start_velocities"},
                "no 'trajectory_start_velocities'"),
    "type3": (dict(data, types=np.where(np.arange(60) == 4, 3, data["types"]).astype(np.int32)),
              "atom 5 has type 3; --elements names 2 types (Cu,Zr)"),
    "nanlabel": (dict(data, trajectory_start_velocities=np.where(
        np.arange(60) == 9, np.nan, data["trajectory_start_velocities"]).astype(np.float32)),
        "'trajectory_start_velocities' of atom 10 is not finite"),
    "shortlabel": (dict(data, trajectory_start_velocities=data["trajectory_start_velocities"][:59]),
                   "'trajectory_start_velocities' has shape (59,), expected 60 values"),
    "ids": (dict(data, pos=np.ones((60, 1), dtype=np.uint16)),
            "'pos' is not a permutation of the atom ids 1..60"),
    "notdict": ([1, 2, 3], "expected a dict, got list"),
}
for name, (payload, message) in bad_cases.items():
    status, stdout, stderr = run(sys.executable, converter, write(name, payload), "-o", work)
    check(status == 1 and message in stderr, f"{name}: status {status}, stderr: {stderr.strip()}")
    check(not os.path.exists(os.path.join(work, name + ".extxyz")), f"{name}: output written")

for f in failures:
    print("FAIL:", f)
print(f"{'FAILED' if failures else 'PASSED'}: convert_symgnn_pickle.py, {len(bad_cases)} damaged pickles")
sys.exit(1 if failures else 0)
