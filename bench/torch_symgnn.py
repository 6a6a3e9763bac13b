#!/usr/bin/python3
"""PyTorch peer of the USER-SYMGNN forward pass and training step, for bench/run.sh.

A straightforward PyTorch implementation of the SymGNN forward pass of the released code
(GitHub haoyuli02/SymGNN, models/models.py), written independently of the C core:
BatchNorm layers are real nn.BatchNorm1d modules with running statistics (nothing
folded), the edge softmax and the aggregation use scatter_reduce/index_add_, and the
edge encoder is the MEAN of phi over the model's K stored transforms (x' = x O, row
vectors on the right), the project's decision. It reads the model file formats v1 and v2
(doc/model-format.md; v2 only with stored transforms) with struct and checks its CRC-32
with zlib.crc32.

Commands (run with Debian's /usr/bin/python3 and python3-torch):
  info MODEL                          metadata and the parameter count
  perturb MODEL OUT --seed S          copy of MODEL with random BatchNorm statistics and
                                      affine parameters, label_mean 0 and label_std 1, so
                                      every BN and the output scale matter in a cross-check
  predict MODEL GRAPH [--threads T] [--repeats R] [--warmup W] [--out FILE]
                                      eval-mode forward on a graph dumped by
                                      symgnn-bench-forward --dump-graph; prints key: value
  predict-xyz MODEL IN.extxyz [--threads T] [--repeats R] [--warmup W] [--out FILE]
                                      the peer on its own: reads the extended XYZ file, builds
                                      the periodic cutoff graph with a vectorized cell list in
                                      torch and runs the forward pass; each pass (graph build +
                                      forward) is timed
  train MODEL --data GRAPH:XYZ ... [--threads T] [--epochs E] [--batch B]
                                      train-mode steps (BN batch statistics, dropout 0.25,
                                      MSE, clipping 0.1, Adam with AMSGrad, lr 1e-4)
  compare A B                         max differences of two prediction files
"""
import argparse
import os
import resource
import struct
import sys
import time
import zlib

import numpy as np

MAGIC = b"SYMGNN\x00\x1a"
BN_EPS = 1e-5
LEAKY = 0.01


# ------------------------------------------------------------------ model file v1

class Reader:
    """Bounds-checked little-endian cursor over the file bytes."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n, what):
        if self.pos + n > len(self.data):
            raise ValueError(f"model file truncated in {what} at offset {self.pos}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u32(self, what):
        return struct.unpack("<I", self.take(4, what))[0]

    def u64(self, what):
        return struct.unpack("<Q", self.take(8, what))[0]

    def f64(self, what):
        return struct.unpack("<d", self.take(8, what))[0]

    def string(self, what):
        return self.take(self.u32(what + " length"), what).decode("ascii")


def read_model(path):
    """Parse a model file v1 into a dict (arrays as numpy)."""
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        raise ValueError(f"{path}: not a SymGNN model file")
    crc = struct.unpack("<I", data[-4:])[0]
    if zlib.crc32(data[:-4]) != crc:
        raise ValueError(f"{path}: CRC-32 mismatch")
    r = Reader(data[:-4])
    r.take(8, "magic")
    version = r.u32("format_version")
    if version not in (1, 2):
        raise ValueError(f"{path}: format version {version} is not 1 or 2")
    n = r.u32("element count")
    names = [r.take(16, "element name").split(b"\0")[0].decode("ascii") for _ in range(n)]
    m = {"elements": names, "cutoff": r.f64("cutoff"), "units": r.string("units")}
    m["width"] = r.u32("width")
    nl = r.u32("layer count")
    m["heads"] = [r.u32("heads") for _ in range(nl)]
    m["depth"] = r.u32("decoder depth")
    # v2 records the symmetrization kind: 0 = stored transforms (as v1), 1 = haar (the exact
    # O(3) average, no transforms stored). The peer implements the paper's design, transforms.
    if version >= 2 and r.u32("symmetrization kind") != 0:
        raise ValueError(f"{path}: a haar model; the peer evaluates stored transforms only")
    k = r.u32("transform count")
    m["transforms"] = np.array(struct.unpack(f"<{9 * k}d", r.take(72 * k, "transforms")))
    m["transforms"] = m["transforms"].reshape(k, 3, 3)
    m["label_mean"], m["label_std"] = r.f64("label_mean"), r.f64("label_std")
    m["provenance"] = [(r.string("key"), r.string("value")) for _ in range(r.u32("P"))]
    npar, nst = r.u64("nparams"), r.u64("nstats")
    m["params"] = np.frombuffer(r.take(4 * npar, "parameters"), dtype="<f4").astype(np.float32)
    m["stats"] = np.frombuffer(r.take(4 * nst, "statistics"), dtype="<f4").astype(np.float32)
    if r.pos != len(r.data):
        raise ValueError(f"{path}: trailing bytes before the checksum")
    lay = layout(m)
    if lay["nparams"] != npar or lay["nstats"] != nst:
        raise ValueError(f"{path}: sizes {npar}/{nst} differ from the architecture "
                         f"{lay['nparams']}/{lay['nstats']}")
    return m


def write_model(path, m):
    """Write a model dict as format v1 (temporary name, then rename)."""
    def s(x):
        b = x.encode("ascii")
        return struct.pack("<I", len(b)) + b
    out = [MAGIC, struct.pack("<II", 1, len(m["elements"]))]
    out += [e.encode("ascii").ljust(16, b"\0") for e in m["elements"]]
    out += [struct.pack("<d", m["cutoff"]), s(m["units"]), struct.pack("<II", m["width"],
                                                                       len(m["heads"]))]
    out += [struct.pack(f"<{len(m['heads'])}I", *m["heads"]), struct.pack("<I", m["depth"])]
    t = np.asarray(m["transforms"], dtype=np.float64).reshape(-1)
    out += [struct.pack("<I", len(t) // 9), struct.pack(f"<{len(t)}d", *t)]
    out += [struct.pack("<dd", m["label_mean"], m["label_std"])]
    out += [struct.pack("<I", len(m["provenance"]))]
    out += [s(k) + s(v) for k, v in m["provenance"]]
    out += [struct.pack("<QQ", len(m["params"]), len(m["stats"]))]
    out += [m["params"].astype("<f4").tobytes(), m["stats"].astype("<f4").tobytes()]
    body = b"".join(out)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(body + struct.pack("<I", zlib.crc32(body)))
    os.replace(tmp, path)


def layout(m):
    """Offsets of every tensor in params and stats (doc/model-format.md, sections 3-4)."""
    d, ne = m["width"], len(m["elements"])
    cur = {"p": 0, "s": 0}

    def take(key, n):
        off = cur[key]
        cur[key] += n
        return off

    def lin(o, i):
        return {"w": take("p", o * i), "b": take("p", o), "out": o, "in": i}

    def bn(w):
        return {"gamma": take("p", w), "beta": take("p", w), "mean": take("s", w),
                "var": take("s", w), "width": w}

    lay = {"emb": take("p", ne * d), "node_bn0": bn(d), "node_lin": lin(d, d), "node_bn1": bn(d),
           "edge_lin0": lin(d, 3), "edge_bn0": bn(d), "edge_lin1": lin(d, d), "edge_bn1": bn(d)}
    lay["layers"] = []
    for l, h in enumerate(m["heads"]):
        hw = d * h
        merged = d if l == len(m["heads"]) - 1 else hw
        L = {"heads": h, "hw": hw, "merged": merged}
        for name in ("w_ni", "w_nj", "w_fij", "w_src"):
            L[name] = take("p", hw * d)
        L["attn"] = take("p", hw)
        L["bias"] = take("p", hw)
        L["bn_node"], L["bn_edge"] = bn(merged), bn(merged)
        L["proj_node"], L["proj_edge"] = lin(d, merged), lin(d, merged)
        lay["layers"].append(L)
    lay["dec"] = [{"lin": lin(d, d), "bn": bn(d), "prelu": take("p", 1)} for _ in range(m["depth"])]
    lay["out"] = lin(1, d)
    lay["nparams"], lay["nstats"] = cur["p"], cur["s"]
    return lay


def perturb(m, seed):
    """Random BN statistics and affine parameters (every BN then matters), output
    scale 1 around 0 (the prediction is z itself)."""
    rng = np.random.default_rng(seed)
    lay = layout(m)
    p, s = m["params"].copy(), m["stats"].copy()
    bns = [lay["node_bn0"], lay["node_bn1"], lay["edge_bn0"], lay["edge_bn1"]]
    for L in lay["layers"]:
        bns += [L["bn_node"], L["bn_edge"]]
    bns += [b["bn"] for b in lay["dec"]]
    for b in bns:
        w = b["width"]
        p[b["gamma"]:b["gamma"] + w] = rng.uniform(0.5, 1.5, w)
        p[b["beta"]:b["beta"] + w] = rng.normal(0.0, 0.2, w)
        s[b["mean"]:b["mean"] + w] = rng.normal(0.0, 0.3, w)
        s[b["var"]:b["var"] + w] = rng.uniform(0.3, 2.0, w)
    out = dict(m, params=p, stats=s, label_mean=0.0, label_std=1.0)
    out["provenance"] = [(k, v) for k, v in m["provenance"] if k != "bench_perturbed"]
    out["provenance"].append(("bench_perturbed", f"BN statistics and affine, seed {seed}"))
    return out


# ------------------------------------------------------------------ graph dump

def read_graph(path):
    """Graph written by symgnn-bench-forward --dump-graph (CSR by destination)."""
    data = open(path, "rb").read()
    if data[:8] != b"SGBENCH1":
        raise ValueError(f"{path}: not a bench graph dump")
    n, ne = struct.unpack_from("<iq", data, 8)
    at = 20 + 72
    species = np.frombuffer(data, "<i4", n, at)
    at += 4 * n
    offsets = np.frombuffer(data, "<i8", n + 1, at)
    at += 8 * (n + 1)
    src = np.frombuffer(data, "<i4", ne, at)
    at += 4 * ne
    disp = np.frombuffer(data, "<f8", 3 * ne, at).reshape(ne, 3)
    dst = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets))
    return {"natoms": n, "nedges": ne, "species": species, "src": src, "dst": dst, "disp": disp}


def build_graph(torch, lattice, pos, cutoff):
    """Periodic cutoff graph of the released code, built by the peer itself: every periodic image
    j' of every atom j with |r_i - r_j'| < cutoff is an edge j -> i (the self-loop i -> i
    included), displacement r_dst - r_src. Vectorized cell list: cells at least one cutoff
    thick along each lattice direction, each atom tested against the atoms of the 27 cells
    around its own (padded per-cell atom table). Needs at least 3 cells per direction (boxes
    thicker than 3 cutoffs), so no image is found twice. Returns src, dst (int64, sorted by
    destination, then source) and disp (float64, E x 3)."""
    L = torch.as_tensor(lattice, dtype=torch.float64)  # rows are the lattice vectors
    x = torch.as_tensor(pos, dtype=torch.float64)
    n = x.shape[0]
    frac = x @ torch.linalg.inv(L)
    frac = frac - torch.floor(frac)
    xw = frac @ L  # wrapped into the cell
    vol = torch.abs(torch.linalg.det(L))
    nc = []
    for a in range(3):
        width = vol / torch.linalg.norm(torch.linalg.cross(L[(a + 1) % 3], L[(a + 2) % 3]))
        nc.append(int(width // cutoff))
    if min(nc) < 3:
        raise ValueError(f"box too thin for the peer's cell list ({nc} cells of {cutoff} A)")
    ncv = torch.tensor(nc, dtype=torch.int64)
    cell = torch.minimum(torch.floor(frac * ncv).to(torch.int64), ncv - 1)
    lin = (cell[:, 0] * nc[1] + cell[:, 1]) * nc[2] + cell[:, 2]
    ncell = nc[0] * nc[1] * nc[2]
    order = torch.argsort(lin, stable=True)
    counts = torch.bincount(lin, minlength=ncell)
    start = torch.cumsum(counts, 0) - counts
    slot = torch.arange(n) - start[lin[order]]
    table = torch.full((ncell, int(counts.max())), -1, dtype=torch.int64)
    table[lin[order], slot] = order
    rc2 = cutoff * cutoff
    srcs, dsts, disps = [], [], []
    ar = torch.arange(n)
    for o0 in (-1, 0, 1):
        for o1 in (-1, 0, 1):
            for o2 in (-1, 0, 1):
                u = cell + torch.tensor([o0, o1, o2])
                s = torch.div(u, ncv, rounding_mode="floor")
                wc = u - s * ncv
                cand = table[(wc[:, 0] * nc[1] + wc[:, 1]) * nc[2] + wc[:, 2]]  # n x occ
                shift = s.to(torch.float64) @ L  # image of the neighbour cell
                d = (xw - shift).unsqueeze(1) - xw[cand.clamp(min=0)]
                keep = (cand >= 0) & ((d * d).sum(-1) < rc2)
                i, k = keep.nonzero(as_tuple=True)
                dsts.append(ar[i])
                srcs.append(cand[i, k])
                disps.append(d[i, k])
    src, dst, disp = torch.cat(srcs), torch.cat(dsts), torch.cat(disps)
    key = torch.argsort(dst * n + src, stable=True)
    return src[key], dst[key], disp[key]


# ------------------------------------------------------------------ torch model

def build_model(torch, m):
    """nn.Module of the released SymGNN model with the weights of the model dict m."""
    nn, F = torch.nn, torch.nn.functional
    d, lay = m["width"], layout(m)
    P, S = torch.from_numpy(m["params"]), torch.from_numpy(m["stats"])

    def tens(off, shape):
        n = int(np.prod(shape))
        return P[off:off + n].reshape(shape).clone()

    def linear(ref, bias=True):
        mod = nn.Linear(ref["in"], ref["out"], bias=bias)
        with torch.no_grad():
            mod.weight.copy_(tens(ref["w"], (ref["out"], ref["in"])))
            mod.bias.copy_(tens(ref["b"], (ref["out"],)))
        return mod

    def batchnorm(ref):
        w = ref["width"]
        mod = nn.BatchNorm1d(w, eps=BN_EPS, momentum=0.1)
        with torch.no_grad():
            mod.weight.copy_(P[ref["gamma"]:ref["gamma"] + w])
            mod.bias.copy_(P[ref["beta"]:ref["beta"] + w])
            mod.running_mean.copy_(S[ref["mean"]:ref["mean"] + w])
            mod.running_var.copy_(S[ref["var"]:ref["var"] + w])
        return mod

    class EGAT(nn.Module):
        """DGL EGATConv semantics (as the released code calls it): edge scores,
        per-destination softmax, attention-weighted sum of the source values."""

        def __init__(self, L):
            super().__init__()
            self.h, hw = L["heads"], L["hw"]
            self.w_ni = nn.Parameter(tens(L["w_ni"], (hw, d)))
            self.w_nj = nn.Parameter(tens(L["w_nj"], (hw, d)))
            self.w_fij = nn.Parameter(tens(L["w_fij"], (hw, d)))
            self.w_src = nn.Parameter(tens(L["w_src"], (hw, d)))
            self.attn = nn.Parameter(tens(L["attn"], (1, self.h, d)))
            self.bias = nn.Parameter(tens(L["bias"], (hw,)))

        def forward(self, h, g, src, dst):
            n, e, H = h.shape[0], g.shape[0], self.h
            u = torch.addmm(self.bias, g, self.w_fij.t())  # in place below: fewer temporaries
            u += (h @ self.w_ni.t())[src]
            u += (h @ self.w_nj.t())[dst]
            f = F.leaky_relu(u, LEAKY, inplace=True)
            logit = (f.view(e, H, d) * self.attn).sum(-1)
            idx = dst.view(-1, 1).expand(e, H)
            mx = torch.full((n, H), -float("inf"), dtype=h.dtype)
            mx = mx.scatter_reduce(0, idx, logit, reduce="amax", include_self=True)
            ex = torch.exp(logit - mx[dst])
            den = torch.zeros((n, H), dtype=h.dtype).index_add_(0, dst, ex)
            a = ex / den[dst]
            z = (h @ self.w_src.t()).view(n, H, d)
            msg = torch.zeros((n, H, d), dtype=h.dtype).index_add_(0, dst, a.unsqueeze(-1) * z[src])
            return msg, f.view(e, H, d)

    class Layer(nn.Module):
        def __init__(self, L, last):
            super().__init__()
            self.last = last
            self.egat = EGAT(L)
            self.bn_node, self.bn_edge = batchnorm(L["bn_node"]), batchnorm(L["bn_edge"])
            self.proj_node, self.proj_edge = linear(L["proj_node"]), linear(L["proj_edge"])

        def forward(self, h, g, src, dst):
            msg, f = self.egat(h, g, src, dst)
            if self.last:  # mean over heads; the edge output is never used (dead branch)
                return self.proj_node(self.bn_node(msg.mean(1))) + h, g
            n, e = msg.shape[0], f.shape[0]
            h = self.proj_node(self.bn_node(msg.reshape(n, -1))) + h
            g = self.proj_edge(self.bn_edge(f.reshape(e, -1))) + g
            return h, g

    class SymGNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(len(m["elements"]), d)
            with torch.no_grad():
                self.emb.weight.copy_(tens(lay["emb"], (len(m["elements"]), d)))
            self.node = nn.Sequential(batchnorm(lay["node_bn0"]), nn.ReLU(),
                                      linear(lay["node_lin"]), batchnorm(lay["node_bn1"]), nn.ReLU())
            self.phi = nn.Sequential(linear(lay["edge_lin0"]), batchnorm(lay["edge_bn0"]), nn.ReLU(),
                                     linear(lay["edge_lin1"]), batchnorm(lay["edge_bn1"]), nn.ReLU())
            self.register_buffer("transforms", torch.tensor(m["transforms"], dtype=torch.float32))
            nlay = len(lay["layers"])
            self.layers = nn.ModuleList(Layer(L, l == nlay - 1) for l, L in enumerate(lay["layers"]))
            dec = []
            for b in lay["dec"]:
                pr = nn.PReLU(1)
                with torch.no_grad():
                    pr.weight.copy_(P[b["prelu"]:b["prelu"] + 1])
                dec += [linear(b["lin"]), batchnorm(b["bn"]), pr]
            self.dec = nn.Sequential(*dec, linear(lay["out"]))
            self.dropout = nn.Dropout(0.25)

        def forward(self, species, disp, src, dst):
            h = self.node(self.emb(species))
            K = self.transforms.shape[0]
            g = self.phi(disp @ self.transforms[0])
            for k in range(1, K):
                g = g + self.phi(disp @ self.transforms[k])
            g = g / K
            for layer in self.layers:
                h, g = layer(h, g, src, dst)
                h, g = self.dropout(h), self.dropout(g)
            return self.dec(h).squeeze(-1)

    return SymGNN()


def graph_tensors(torch, gr):
    return (torch.from_numpy(gr["species"].astype(np.int64)),
            torch.from_numpy(gr["disp"].astype(np.float32)),
            torch.from_numpy(gr["src"].astype(np.int64)), torch.from_numpy(gr["dst"]))


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def blas_library():
    """The BLAS shared object this process actually mapped."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in os.path.basename(p).lower():
                libs.add(os.path.realpath(p))
    return " ".join(sorted(libs)) or "none"


def import_torch(threads):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    import torch
    torch.set_num_threads(threads)
    return torch


# ------------------------------------------------------------------ commands

def cmd_info(a):
    m = read_model(a.model)
    lay = layout(m)
    print(f"elements: {' '.join(m['elements'])}\ncutoff: {m['cutoff']}\nheads: {m['heads']}")
    print(f"transforms: {len(m['transforms'])}\nparameters: {lay['nparams']}\n"
          f"statistics: {lay['nstats']}\ncrc: ok")


def cmd_perturb(a):
    write_model(a.out, perturb(read_model(a.model), a.seed))
    print(f"written: {a.out}")


def report_prediction(m, z, out):
    """Print the BLAS library, peak memory and mean EB of a prediction z (normalized) and
    write the EBs (eV) to out atomically when given."""
    print(f"blas: {blas_library()}")
    print(f"rss_after_forward_kb: {peak_rss_kb()}")
    eb = z.double().numpy() * m["label_std"] + m["label_mean"]
    print(f"eb_mean: {eb.mean():.9f}")
    if out:
        tmp = f"{out}.tmp.{os.getpid()}"
        np.savetxt(tmp, eb, fmt="%.9g")
        os.replace(tmp, out)


def cmd_predict(a):
    torch = import_torch(a.threads)
    m = read_model(a.model)
    model = build_model(torch, m).eval()
    print(f"rss_model_kb: {peak_rss_kb()}")
    gr = read_graph(a.graph)
    species, disp, src, dst = graph_tensors(torch, gr)
    print(f"atoms: {gr['natoms']}\nedges: {gr['nedges']}\nthreads: {torch.get_num_threads()}")
    print(f"rss_after_graph_kb: {peak_rss_kb()}")
    with torch.inference_mode():
        for r in range(a.warmup + a.repeats):
            t0 = time.perf_counter()
            z = model(species, disp, src, dst)
            dt = time.perf_counter() - t0
            if r >= a.warmup:
                print(f"forward_seconds: {dt:.6f}", flush=True)
    report_prediction(m, z, a.out)


def cmd_predict_xyz(a):
    torch = import_torch(a.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from xyzio import read_extxyz
    m = read_model(a.model)
    model = build_model(torch, m).eval()
    xyz = read_extxyz(a.xyz)
    index = {e: i for i, e in enumerate(m["elements"])}
    species = torch.tensor([index[e] for e in xyz["species"]], dtype=torch.int64)
    print(f"atoms: {xyz['natoms']}\nthreads: {torch.get_num_threads()}")
    with torch.inference_mode():
        for r in range(a.warmup + a.repeats):
            t0 = time.perf_counter()
            src, dst, disp = build_graph(torch, xyz["lattice"], xyz["pos"], m["cutoff"])
            t1 = time.perf_counter()
            z = model(species, disp.to(torch.float32), src, dst)
            t2 = time.perf_counter()
            if r >= a.warmup:
                print(f"graph_seconds: {t1 - t0:.6f}\nforward_seconds: {t2 - t1:.6f}\n"
                      f"graph_forward_seconds: {t2 - t0:.6f}", flush=True)
    print(f"edges: {src.shape[0]}")
    report_prediction(m, z, a.out)


def cmd_train(a):
    torch = import_torch(a.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from xyzio import read_extxyz
    m = read_model(a.model)
    torch.manual_seed(a.seed)
    model = build_model(torch, m).train()
    samples = []
    for item in a.data:
        gpath, xpath = item.split(":", 1)
        gr = read_graph(gpath)
        z = (read_extxyz(xpath)[a.label] - m["label_mean"]) / m["label_std"]
        samples.append((gr, z.astype(np.float32)))
    B = a.batch if a.batch > 0 else len(samples)
    batches = []
    for i in range(0, len(samples), B):  # disjoint union, node ids offset per sample
        part, off = samples[i:i + B], 0
        sp, ds, sr, dt, lab = [], [], [], [], []
        for gr, z in part:
            sp.append(gr["species"].astype(np.int64))
            ds.append(gr["disp"].astype(np.float32))
            sr.append(gr["src"].astype(np.int64) + off)
            dt.append(gr["dst"] + off)
            lab.append(z)
            off += gr["natoms"]
        batches.append(tuple(torch.from_numpy(np.concatenate(x)) for x in (sp, ds, sr, dt, lab)))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                           amsgrad=True)
    nodes = sum(gr["natoms"] for gr, _ in samples)
    edges = sum(gr["nedges"] for gr, _ in samples)
    print(f"configurations: {len(samples)}\natoms: {nodes}\nedges: {edges}\n"
          f"batch: {B}\nsteps_per_epoch: {len(batches)}\nthreads: {torch.get_num_threads()}")
    print(f"rss_after_data_kb: {peak_rss_kb()}", flush=True)
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        for sp, ds, sr, dt, lab in batches:
            t1 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(model(sp, ds, sr, dt), lab)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 0.1)
            opt.step()
            print(f"step_seconds: {time.perf_counter() - t1:.6f}", flush=True)
        print(f"epoch_seconds: {time.perf_counter() - t0:.6f}\nloss: {loss.item():.6f}", flush=True)
    print(f"blas: {blas_library()}")
    print(f"rss_peak_kb: {peak_rss_kb()}")


def cmd_compare(a):
    x, y = np.loadtxt(a.a), np.loadtxt(a.b)
    if x.shape != y.shape:
        raise SystemExit(f"compare: {x.size} vs {y.size} values")
    d = np.abs(x - y)
    print(f"values: {x.size}")
    print(f"max_abs_diff: {d.max():.3e}")
    print(f"max_rel_diff: {(d / np.maximum(np.abs(y), 1e-30)).max():.3e}")
    print(f"pred_std: {y.std():.6e}")
    print(f"max_abs_diff_over_std: {d.max() / max(y.std(), 1e-300):.3e}")
    print(f"pearson: {np.corrcoef(x, y)[0, 1]:.9f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("info")
    p.add_argument("model")
    p = sub.add_parser("perturb")
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    def prediction_parser(name, source, repeats, warmup):
        """A prediction command: MODEL SOURCE [--threads] [--repeats] [--warmup] [--out]."""
        q = sub.add_parser(name)
        q.add_argument("model")
        q.add_argument(source)
        q.add_argument("--threads", type=int, default=1)
        q.add_argument("--repeats", type=int, default=repeats)
        q.add_argument("--warmup", type=int, default=warmup)
        q.add_argument("--out")
        return q

    prediction_parser("predict", "graph", 5, 1)
    prediction_parser("predict-xyz", "xyz", 1, 0)
    p = sub.add_parser("train")
    p.add_argument("model")
    p.add_argument("--data", nargs="+", required=True, help="GRAPH:XYZ pairs")
    p.add_argument("--label", default="eb")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=0, help="configurations per step (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("compare")
    p.add_argument("a")
    p.add_argument("b")
    a = ap.parse_args()
    {"info": cmd_info, "perturb": cmd_perturb, "predict": cmd_predict,
     "predict-xyz": cmd_predict_xyz, "train": cmd_train,
     "compare": cmd_compare}[a.cmd](a)


if __name__ == "__main__":
    main()
