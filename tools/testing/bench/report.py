#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn guest.sh's raw output into the benchmark table and the bar chart of the ratios.

report.py RESULTS OUTDIR [--readme README]

RESULTS holds "BENCH <stack> <round> <metric> <value> <unit> <hi|lo>" lines (anything else
is ignored) and "#@ key: value" header lines from run. Writes OUTDIR/table.md and
OUTDIR/ratios.png and prints the table. Each side's figure is the median over every sample
(rounds, and repeats within a round), next to its min and max.

The ratio is taken round by round from each side's best sample of the round. The noise of
the shared machine only ever slows a run down, in spells from a fraction of a second to
minutes that halve the speed of whatever runs then; how many samples of a side a spell
hits is luck, and the median carries that luck. The best of a turn's samples is the
speed of the code itself, and both stacks of a round run within a couple of minutes of
each other. The table gives the median over rounds of these ratios, with its
distribution-free 95% confidence interval (order statistics of the rounds' ratios), and
for comparison the ratio of the two sides' medians. Ratios are ours/stock for
higher-is-better metrics and stock/ours for lower-is-better ones, so above 1.0 always
means ours is faster. A row is marked slower when its ratio is below 1.0, and its
interval tells whether that is more than the noise. With --readme, the "## Benchmarks"
section of README is replaced by the table.
"""
import math
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
    """mdev create+remove rate at the most live mdevs over the rate at one: per round, the
    quotient of the two best samples."""
    lives = sorted(int(m[len("mdev.live"):]) for m in samples if m.startswith("mdev.live"))
    if len(lives) < 2:
        return
    lo, hi = f"mdev.live{lives[0]}", f"mdev.live{lives[-1]}"
    name = f"mdev.flatness({lives[-1]}/{lives[0]})"
    for stack in STACKS:
        best = {lo: defaultdict(float), hi: defaultdict(float)}
        for metric in (lo, hi):
            for rnd, val in samples[metric][stack]:
                best[metric][rnd] = max(best[metric][rnd], val)
        for rnd in sorted(set(best[lo]) & set(best[hi])):
            samples[name][stack].append((rnd, best[hi][rnd] / best[lo][rnd]))
    units[name] = ("x", "hi")


def fmt(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def median_ci(vals):
    """The order statistics bounding the median of @vals with at least 95% confidence."""
    n = len(vals)
    vals = sorted(vals)
    # the largest k with P(Binomial(n, 1/2) < k) <= 2.5%: [vals[k-1], vals[n-k]] covers
    k, tail = 0, 0.0
    while k < n // 2:
        below = tail + math.comb(n, k) / 2 ** n
        if below > 0.025:
            break
        tail, k = below, k + 1
    if k == 0:
        return None
    return vals[k - 1], vals[n - k]


def round_ratios(per_stack, better):
    """ours/stock (or stock/ours) of each round's best samples, for rounds both stacks ran."""
    best = {}
    pick = max if better == "hi" else min
    for stack in STACKS:
        by_round = defaultdict(list)
        for rnd, val in per_stack[stack]:
            by_round[rnd].append(val)
        best[stack] = {r: pick(v) for r, v in by_round.items()}
    ratios = []
    for rnd in sorted(set(best["ours"]) & set(best["stock"])):
        ours, stock = best["ours"][rnd], best["stock"][rnd]
        if ours > 0 and stock > 0:
            ratios.append(ours / stock if better == "hi" else stock / ours)
    return ratios


def summarise(samples, units):
    rows = []
    for metric in samples:
        unit, better = units[metric]
        side = {}
        for stack in STACKS:
            vals = [v for _, v in samples[metric][stack]]
            if vals:
                side[stack] = (statistics.median(vals), min(vals), max(vals), len(vals))
        ratios = round_ratios(samples[metric], better)
        ratio = statistics.median(ratios) if ratios else None
        ci = median_ci(ratios) if ratios else None
        of_medians = None
        if len(side) == 2 and side["ours"][0] > 0 and side["stock"][0] > 0:
            ours, stock = side["ours"][0], side["stock"][0]
            of_medians = ours / stock if better == "hi" else stock / ours
        rows.append((metric, unit, better, side, ratio, ci, of_medians))
    return rows


def verdict(ratio, ci):
    if ratio >= 1.0:
        return ""
    if ci and ci[1] >= 1.0:
        return " slower, within the noise"
    return " **slower**"


def table(rows, meta):
    out = []
    if meta:
        out.append(textwrap.fill(f"Taken {meta.get('date', '?')} on {meta.get('machine', '?')}; "
                   f"{meta.get('vm', '')}; {meta.get('rounds', '?')} interleaved rounds "
                   f"per stack in one boot; host load average {meta.get('load before', '?')} "
                   f"before, {meta.get('load after', '?')} after. {meta.get('note', '')}".rstrip(), 96))
        out.append("")
    out.append("| metric | unit | better | ours (median) | ours min–max | stock (median) "
               "| stock min–max | ratio | 95% CI | of medians |")
    out.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for metric, unit, better, side, ratio, ci, of_medians in rows:
        cells = [metric, unit, "higher" if better == "hi" else "lower"]
        for stack in STACKS:
            if stack in side:
                med, lo, hi, _ = side[stack]
                cells += [fmt(med), f"{fmt(lo)}–{fmt(hi)}"]
            else:
                cells += ["–", "–"]
        cells.append("–" if ratio is None else f"{ratio:.2f}" + verdict(ratio, ci))
        cells.append(f"{ci[0]:.2f}–{ci[1]:.2f}" if ci else "–")
        cells.append("–" if of_medians is None else f"{of_medians:.2f}")
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("ratio: the median over rounds of ours/stock (higher-is-better metrics) or "
               "stock/ours (lower-is-better ones) of the round's best samples; above 1.0 means "
               "ours is faster. 95% CI: the interval of order statistics of the rounds' ratios "
               "that holds their median with at least 95% confidence. of medians: the same "
               "quotient of the two sides' medians over all samples.")
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
    for i, r in enumerate(rows):
        if r[5]:
            ax.plot(r[5], [i, i], color="black", linewidth=1)
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
    ax.set_title("VFIO stack benchmarks: median over rounds of the ratio of best samples")
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
        "both stacks, in an order that flips every round. In a turn, mmio and `mdev.live1` take\n"
        "a sample after each of the other benchmarks and QEMU starts three times, so that their\n"
        "samples spread over the turn. The ratio is the median over rounds of each round's\n"
        "ours/stock of the two sides' best samples, with its 95% confidence interval; the\n"
        "quotient of the medians of all samples is given too. A VM that prints nothing for 15\n"
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
    for metric, _, _, _, ratio, ci, _ in rows:
        if ratio is not None and ratio < 1.0:
            print(f"slower than stock: {metric} ({ratio:.2f}x{verdict(ratio, ci)})")


if __name__ == "__main__":
    main(sys.argv)
