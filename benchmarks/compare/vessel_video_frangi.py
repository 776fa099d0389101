#!/usr/bin/python3
"""Times skimage.filters.frangi and an OpenCV Hessian/Frangi equivalent on the same kind of
frames vasostat's BM_vesselness uses (1280x960 and 2214x1657 uint8, 4 scales sigma = 2, 3, 4.5,
6.5 px, dark vessels), single-threaded. Run with /usr/bin/python3 (needs numpy, scipy, skimage,
opencv). Prints one line per (library, size) with the median wall time of `--repeat` runs.

The frames are rendered here (random straight vessels with Gaussian-profile lumen and noise) so
that nothing has to be shared with the C++ benchmark; only the size and scale set matter for
the timing.
"""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np


def render(w, h, seed=77):
    rng = np.random.default_rng(seed)
    img = np.full((h, w), 180.0, np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(int(w * h / 12000)):
        x0, y0 = rng.uniform(10, w - 10), rng.uniform(10, h - 10)
        a, length, r = rng.uniform(0, 2 * np.pi), rng.uniform(60, 300), rng.uniform(1.5, 6)
        x1, y1 = x0 + length * np.cos(a), y0 + length * np.sin(a)
        xa, xb = int(max(0, min(x0, x1) - r - 3)), int(min(w, max(x0, x1) + r + 3))
        ya, yb = int(max(0, min(y0, y1) - r - 3)), int(min(h, max(y0, y1) + r + 3))
        if xb <= xa or yb <= ya:
            continue
        px, py = xx[ya:yb, xa:xb] - x0, yy[ya:yb, xa:xb] - y0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        s = px * ux + py * uy
        d = np.abs(-px * uy + py * ux)
        inside = (s >= 0) & (s <= length)
        img[ya:yb, xa:xb] -= np.where(inside, 60.0 * np.exp(-0.5 * (d / r) ** 2), 0.0)
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def opencv_frangi(img, sigmas, beta=0.5):
    """Frangi with cv2.Sobel-free separable Gaussian derivative kernels (cv2.sepFilter2D),
    sigma^2-normalised, dark vessels, c = half the max Hessian norm over scales."""
    import cv2
    f = img.astype(np.float32)
    blobs, norms = [], []
    for s in sigmas:
        r = int(np.ceil(4 * s))
        x = np.arange(-r, r + 1, dtype=np.float64)
        g = np.exp(-0.5 * (x / s) ** 2)
        g /= g.sum()
        d1 = -x / s**2 * g
        d2 = (x**2 - s**2) / s**4 * g
        hxx = cv2.sepFilter2D(f, cv2.CV_32F, d2.astype(np.float32), g.astype(np.float32),
                              borderType=cv2.BORDER_REFLECT) * s * s
        hyy = cv2.sepFilter2D(f, cv2.CV_32F, g.astype(np.float32), d2.astype(np.float32),
                              borderType=cv2.BORDER_REFLECT) * s * s
        hxy = cv2.sepFilter2D(f, cv2.CV_32F, d1.astype(np.float32), d1.astype(np.float32),
                              borderType=cv2.BORDER_REFLECT) * s * s
        tr, df = hxx + hyy, hxx - hyy
        t = np.sqrt(df * df + 4 * hxy * hxy)
        mu1, mu2 = 0.5 * (tr + t), 0.5 * (tr - t)
        rb = mu2 / np.where(mu1 > 0, mu1, 1)
        blobs.append(np.where(tr > 0, np.exp(-rb * rb / (2 * beta * beta)), 0))
        norms.append(hxx * hxx + hyy * hyy + 2 * hxy * hxy)
    c = 0.5 * np.sqrt(max(n.max() for n in norms))
    out = np.zeros_like(f)
    for b, n in zip(blobs, norms):
        out = np.maximum(out, b * (1 - np.exp(-n / (2 * c * c))))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sigmas = [2.0, 3.0, 4.5, 6.5]
    try:
        import cv2
        cv2.setNumThreads(1)
    except ImportError:
        cv2 = None
    from skimage.filters import frangi
    import skimage
    for w, h in [(1280, 960), (2214, 1657)]:
        img = render(w, h)
        runs = {"skimage.filters.frangi " + skimage.__version__:
                lambda: frangi(img, sigmas=sigmas, black_ridges=True)}
        if cv2 is not None:
            runs["opencv sepFilter2D Frangi " + cv2.__version__] = lambda: opencv_frangi(img, sigmas)
        for name, fn in runs.items():
            times, cpu = [], []
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            med = sorted(times)[len(times) // 2]
            cmed = sorted(cpu)[len(cpu) // 2]
            # CPU time is what Google Benchmark's "CPU" column reports; on a shared machine
            # compare CPU with CPU
            print(f"{name:42s} {w}x{h}: wall {1000 * med:8.1f} ms  CPU {1000 * cmed:8.1f} ms"
                  f"  ({w * h / cmed / 1e6:6.2f} Mpx/s of CPU)")


if __name__ == "__main__":
    main()
