"""The run as one PNG: throughput of every workload, latency percentiles, service memory against targets.

Rates span three orders of magnitude (the NER model at tens per second, a producer
at thousands), so the throughput axis is logarithmic: on a linear one the slow stages, which
are what bounds the pipeline, would be invisible slivers. matplotlib is optional
(the `dev` extra installs it); without it there is simply no chart.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from bench.harness import Run


def available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _rates(run: Run) -> list[tuple[str, float]]:
    return [(f"{r.name}: {m.label}", m.per_s) for r in run.results for m in r.measurements if m.per_s > 0]


def _latencies(run: Run) -> list[tuple[str, dict[str, float]]]:
    return [
        (f"{r.name}: {m.label}", m.latency_ms) for r in run.results for m in r.measurements if m.latency_ms
    ]


def _memory(run: Run) -> list[tuple[str, float, float]]:
    """(service, steady MB, target MB) from any benchmark that sampled service memory."""
    out = []
    for result in run.results:
        memory: dict[str, Any] = result.params.get("rss_mb") or {}
        targets = {
            c.name.removesuffix("_rss_mb"): c.target for c in result.checks if c.name.endswith("_rss_mb")
        }
        for service, figures in memory.items():
            if isinstance(figures, dict) and figures.get("steady_mb"):
                out.append((service, float(figures["steady_mb"]), float(targets.get(service, 0.0))))
    return out


def _short(label: str, width: int = 70) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def draw(run: Run, path: Path) -> bool:
    """Write the chart to `path`; False (and no file) without matplotlib or without figures."""
    if not available():
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates, latencies, memory = _rates(run), _latencies(run), _memory(run)
    if not rates:
        return False
    panels = 1 + bool(latencies) + bool(memory)
    heights = [max(2.0, 0.32 * len(rates))]
    if latencies:
        heights.append(max(2.0, 0.5 * len(latencies)))
    if memory:
        heights.append(max(1.6, 0.5 * len(memory)))
    fig, axes = plt.subplots(
        panels,
        1,
        figsize=(11, sum(heights) + 1.6),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
        layout="constrained",  # makes room for the long workload labels
    )
    ax = axes[0][0]
    labels = [_short(label) for label, _ in rates]
    values = [value for _, value in rates]
    ax.barh(labels, values, color="tab:blue")
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:,.1f}" if value < 100 else f" {value:,.0f}", va="center", fontsize=7)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("articles (or documents) per second, log scale")
    ax.set_title("Throughput")
    ax.tick_params(axis="y", labelsize=7)
    panel = 1
    if latencies:
        ax = axes[panel][0]
        panel += 1
        names = [_short(label) for label, _ in latencies]
        for offset, (quantile, colour) in enumerate(
            (("p50", "tab:green"), ("p95", "tab:orange"), ("p99", "tab:red"))
        ):
            ys = [i + (offset - 1) * 0.25 for i in range(len(latencies))]
            ax.barh(
                ys,
                [lat.get(quantile, 0.0) for _, lat in latencies],
                height=0.25,
                color=colour,
                label=quantile,
            )
        ax.set_yticks(range(len(latencies)), names)
        ax.invert_yaxis()
        ax.set_xlabel("milliseconds")
        ax.set_title("Latency (end to end: POST to searchable)")
        ax.legend(fontsize=7, loc="lower right")
        ax.tick_params(axis="y", labelsize=7)
    if memory:
        ax = axes[panel][0]
        services = [service for service, _, _ in memory]
        ax.barh(services, [mb for _, mb, _ in memory], color="tab:purple", label="steady RSS")
        ax.scatter(
            [t for _, _, t in memory], services, marker="|", s=400, color="black", label="target", zorder=3
        )
        ax.invert_yaxis()
        ax.set_xlabel("MB")
        ax.set_title("Service memory during the end-to-end run")
        ax.legend(fontsize=7, loc="lower right")
    mode = "smoke" if run.smoke else "full"
    facts = run.machine_before
    fig.suptitle(
        f"Wirestream benchmarks {run.started_at:%Y-%m-%d %H:%M} UTC ({mode}); "
        f"{facts.get('cpu_count')} CPUs, {facts.get('memory_total_gib')} GiB",
        fontsize=10,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
