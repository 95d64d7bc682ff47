#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn guest.sh's raw output into the benchmark table and the bar chart of the ratios.

report.py RESULTS OUTDIR [--readme README]

RESULTS holds "BENCH <stack> <round> <metric> <value> <unit> <hi|lo>" lines (anything else
is ignored) and "#@ key: value" header lines from run. Writes OUTDIR/table.md and
OUTDIR/ratios.png and prints the table. Each side's figure is the median over every sample
(rounds, and repeats within a round); the ratio is ours/stock for higher-is-better metrics
and stock/ours for lower-is-better ones, so above 1.0 always means ours is faster.
With --readme, the "## Benchmarks" section of README is replaced by the table.
"""
import re
import statistics
import sys
import textwrap
from collections import defaultdict

STACKS = ("ours", "stock")


def parse(path):
    samples = defaultdict(lambda: defaultdict(list))   # metric -> stack -> [(round, value)]
    meta, units = {}, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#@ "):
                key, _, val = line[3:].partition(":")
                meta[key.strip()] = val.strip()
                continue
            w = line.split()
            if len(w) != 7 or w[0] != "BENCH" or w[1] not in STACKS:
                continue
            try:
                val = float(w[4])
            except ValueError:
                continue
            samples[w[3]][w[1]].append((int(w[2]), val))
            units[w[3]] = (w[5], w[6])
    return samples, units, meta


def add_flatness(samples, units):
    """mdev create+remove rate at the most live mdevs over the rate at one, per round."""
    lives = sorted(int(m[len("mdev.live"):]) for m in samples if m.startswith("mdev.live"))
    if len(lives) < 2:
        return
    lo, hi = f"mdev.live{lives[0]}", f"mdev.live{lives[-1]}"
    name = f"mdev.flatness({lives[-1]}/{lives[0]})"
    for stack in STACKS:
        first = defaultdict(list)
        for rnd, val in samples[lo][stack]:
            first[rnd].append(val)
        for rnd, val in samples[hi][stack]:
            if first.get(rnd):
                samples[name][stack].append((rnd, val / statistics.median(first[rnd])))
    units[name] = ("x", "hi")


def fmt(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def summarise(samples, units):
    rows = []
    for metric in samples:
        unit, better = units[metric]
        side = {}
        for stack in STACKS:
            vals = [v for _, v in samples[metric][stack]]
            if vals:
                side[stack] = (statistics.median(vals), min(vals), max(vals), len(vals))
        ratio = None
        if len(side) == 2 and side["ours"][0] > 0 and side["stock"][0] > 0:
            ours, stock = side["ours"][0], side["stock"][0]
            ratio = ours / stock if better == "hi" else stock / ours
        rows.append((metric, unit, better, side, ratio))
    return rows


def table(rows, meta):
    out = []
    if meta:
        out.append(textwrap.fill(f"Taken {meta.get('date', '?')} on {meta.get('machine', '?')}; "
                   f"{meta.get('vm', '')}; {meta.get('rounds', '?')} interleaved rounds "
                   f"per stack in one boot; host load average {meta.get('load before', '?')} "
                   f"before, {meta.get('load after', '?')} after. {meta.get('note', '')}".rstrip(), 96))
        out.append("")
    out.append("| metric | unit | better | ours (median) | ours min–max | stock (median) "
               "| stock min–max | ratio |")
    out.append("|---|---|---|--:|--:|--:|--:|--:|")
    for metric, unit, better, side, ratio in rows:
        cells = [metric, unit, "higher" if better == "hi" else "lower"]
        for stack in STACKS:
            if stack in side:
                med, lo, hi, _ = side[stack]
                cells += [fmt(med), f"{fmt(lo)}–{fmt(hi)}"]
            else:
                cells += ["–", "–"]
        cells.append("–" if ratio is None else
                     f"{ratio:.2f}" + (" **slower**" if ratio < 1.0 else ""))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("ratio: ours/stock for higher-is-better metrics, stock/ours for lower-is-better "
               "ones; above 1.0 means ours is faster.")
    return "\n".join(out) + "\n"


def chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r[4] is not None]
    names = [r[0] for r in rows]
    ratios = [r[4] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.4))
    colors = ["tab:green" if r >= 1.0 else "tab:red" for r in ratios]
    ax.barh(range(len(rows)), ratios, color=colors)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16)
             if min(ratios) / 2 <= t <= max(ratios) * 2]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlabel("ours vs stock (>1 = ours faster; log scale)")
    ax.set_title("VFIO stack benchmarks: ratio of medians")
    for i, r in enumerate(ratios):
        ax.text(r, i, f" {r:.2f}", va="center", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def update_readme(readme, text):
    with open(readme, encoding="utf-8") as f:
        doc = f.read()
    section = (
        "## Benchmarks\n\n"
        "`make bench` (`tools/testing/bench/`) runs each benchmark on our stack and on the stock\n"
        "one in the same VM boot, rounds interleaved: `map4k` 20,000 4 KiB MAP_DMA/UNMAP_DMA;\n"
        "`dirty.<size>-pin<N>` START/GET_BITMAP/STOP over 32 GiB or 1 TiB mapped with N pages\n"
        "pinned by the vGPU copy engine; `pin`/`unpin` the engine's vfio_pin_pages() rate;\n"
        "`mmio` trapped pread/pwrite of a vGPU register; `mdev.live<N>` mbochs create+remove\n"
        "with N live mdevs; `phys` 1 GiB MAP_DMA/UNMAP_DMA through edu on vfio-pci; `qemu` a\n"
        "nested KVM QEMU with a vGPU assigned, to the guest's first serial byte. Each round runs\n"
        "both stacks, in an order that flips every round. A VM that prints nothing for 15\n"
        "minutes (a nested guest under TCG can wedge it, clock and all) is stopped and booted\n"
        "once more for the turns it had left. Latest table:\n\n"
        + text + "\n")
    if "## Benchmarks\n" in doc:
        doc = re.sub(r"## Benchmarks\n.*?(?=^## )", lambda _: section, doc,
                     count=1, flags=re.S | re.M)
    else:
        doc = doc.replace("## Documentation\n", section + "## Documentation\n", 1)
    with open(readme, "w", encoding="utf-8") as f:
        f.write(doc)


def main(argv):
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--readme"):
        sys.exit(__doc__)
    samples, units, meta = parse(argv[1])
    if not samples:
        sys.exit(f"{argv[1]}: no results")
    add_flatness(samples, units)
    rows = summarise(samples, units)
    text = table(rows, meta)
    with open(f"{argv[2]}/table.md", "w", encoding="utf-8") as f:
        f.write(text)
    print(text, end="")
    chart(rows, f"{argv[2]}/ratios.png")
    print(f"chart: {argv[2]}/ratios.png")
    if len(argv) == 5:
        update_readme(argv[4], text)
    slower = [r for r in rows if r[4] is not None and r[4] < 1.0]
    for metric, _, _, _, ratio in slower:
        print(f"slower than stock: {metric} ({ratio:.2f}x)")


if __name__ == "__main__":
    main(sys.argv)
