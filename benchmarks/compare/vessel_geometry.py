#!/usr/bin/python3
"""Times skimage and OpenCV on the very masks vasostat's geometry benchmarks use, in the same run.

Usage: /usr/bin/python3 benchmarks/compare/vessel_geometry.py <path to vasostat_vessel_bench>

Runs the vasostat benchmark binary (skeletonize, distance transform, analyze_mask at 1280x960 and
2214x1657) with VASOSTAT_BENCH_DUMP_DIR set so that it writes its rendered masks as PGM files,
then times on those masks, single-threaded:
  skimage.morphology.skeletonize (Zhang-Suen LUT), scipy.ndimage.distance_transform_edt,
  cv2.ximgproc.thinning (Zhang-Suen and Guo-Hall, when opencv-contrib is present),
  cv2.distanceTransform(DIST_L2, DIST_MASK_PRECISE)
and prints the medians and vasostat's speed-up over each. Peers that are not installed are skipped.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def read_pgm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return np.frombuffer(parts[3], dtype=np.uint8, count=w * h).reshape(h, w)


def median_ms(fn, repeats, warm_up=True):
    """Median CPU time of this process (ms): CPU time, like vasostat's figures, so that the
    comparison holds on a loaded machine (peers run single-threaded here)."""
    if warm_up:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1e3)
    return statistics.median(times)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    bench = sys.argv[1]
    repeats = int(os.environ.get("VASOSTAT_COMPARE_REPEATS", "7"))
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, VASOSTAT_BENCH_DUMP_DIR=tmp)
        out_json = os.path.join(tmp, "vasostat.json")
        subprocess.run([bench, "--benchmark_filter=^(skeletonize|skeletonize_guo_hall|distance_transform|analyze_mask)/",
                        "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true",
                        "--benchmark_out=" + out_json, "--benchmark_out_format=json"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        with open(out_json) as f:
            results = json.load(f)["benchmarks"]
        ours = {}
        for r in results:
            if r.get("aggregate_name") == "median":
                ours[r["run_name"]] = r["cpu_time"] if r["time_unit"] == "ms" else r["cpu_time"] / 1e6
        masks = {}
        for name in sorted(os.listdir(tmp)):
            if name.endswith(".pgm"):
                masks[name[5:-4]] = read_pgm(os.path.join(tmp, name))

    try:
        import cv2
        cv2.setNumThreads(1)
    except ImportError:
        cv2 = None
    try:
        from skimage.morphology import skeletonize
    except ImportError:
        skeletonize = None
    try:
        from scipy.ndimage import distance_transform_edt
    except ImportError:
        distance_transform_edt = None

    print("median CPU time: vasostat (5 repetitions) vs peers (%d runs; OpenCV thinning 1 run), 1 thread" % repeats)
    for size, mask in masks.items():
        w, h = size.split("x")
        key = "w:%s/h:%s" % (w, h)
        binary = mask > 0
        print("\n%s (%.1f %% vessel pixels)" % (size, 100.0 * binary.mean()))
        vs_skel = ours.get("skeletonize/simd/" + key)
        vs_gh = ours.get("skeletonize_guo_hall/simd/" + key)
        vs_dt = ours.get("distance_transform/simd/" + key)
        vs_all = ours.get("analyze_mask/" + key)
        print("  vasostat skeletonize (Zhang-Suen) %8.2f ms" % vs_skel)
        print("  vasostat skeletonize (Guo-Hall)   %8.2f ms" % vs_gh)
        print("  vasostat distance_transform       %8.2f ms" % vs_dt)
        print("  vasostat analyze_mask (all steps)  %8.2f ms" % vs_all)
        rows = []
        if skeletonize is not None:
            rows.append(("skimage skeletonize", median_ms(lambda: skeletonize(binary), repeats), vs_skel))
        if cv2 is not None and hasattr(cv2, "ximgproc"):
            m255 = np.where(binary, 255, 0).astype(np.uint8)
            rows.append(("OpenCV ximgproc.thinning ZS", median_ms(
                lambda: cv2.ximgproc.thinning(m255, thinningType=cv2.ximgproc.THINNING_ZHANGSUEN), 1, False), vs_skel))
            rows.append(("OpenCV ximgproc.thinning GH", median_ms(
                lambda: cv2.ximgproc.thinning(m255, thinningType=cv2.ximgproc.THINNING_GUOHALL), 1, False), vs_gh))
        if distance_transform_edt is not None:
            rows.append(("scipy distance_transform_edt", median_ms(lambda: distance_transform_edt(binary), repeats), vs_dt))
        if cv2 is not None:
            m8 = binary.astype(np.uint8)
            rows.append(("OpenCV distanceTransform L2 precise", median_ms(
                lambda: cv2.distanceTransform(m8, cv2.DIST_L2, cv2.DIST_MASK_PRECISE), repeats), vs_dt))
        for name, ms, ref in rows:
            print("  %-36s %8.2f ms   vasostat is %6.1fx faster" % (name, ms, ms / ref))


if __name__ == "__main__":
    main()
