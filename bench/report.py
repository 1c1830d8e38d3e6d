"""Write a run to bench/results/<UTC timestamp>.json and .md, and .png (bench/chart.py) with matplotlib."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import chart as charts
from bench.harness import BenchmarkResult, Run

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def stem(run: Run) -> str:
    return run.started_at.strftime("%Y%m%dT%H%M%SZ")


def as_dict(run: Run) -> dict[str, Any]:
    return {
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "mode": "smoke" if run.smoke else "full",
        "ok": run.ok,
        "machine": run.machine_before,
        "machine_at_end": run.machine_after,
        "servers": {
            "kafka_bootstrap": run.infra.kafka_bootstrap,
            "kafka_heap": run.infra.kafka_heap,
            "elasticsearch_url": run.infra.es_url,
            "elasticsearch_heap": run.infra.es_heap,
            "start_seconds": round(run.server_start_s, 1),
        },
        "benchmarks": [r.as_dict() for r in run.results],
    }


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


# Parameters with a table of their own (below the measurements), not listed inline.
_TABLED = ("rss_mb", "e2e_vs_ceiling", "latency_by_stage", "hot_spots")


def _memory_md(memory: dict[str, Any]) -> list[str]:
    lines = [
        "| Service | Steady RSS MB | of which its main process | Peak RSS MB | Samples |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, figures in memory.items():
        main = figures.get("main_process_mb")  # absent from reports written before it was sampled
        lines.append(
            f"| {name} | {figures['steady_mb']:,.0f} | {'' if main is None else f'{main:,.0f}'} "
            f"| {figures['peak_mb']:,.0f} | {figures['samples']} |"
        )
    return [*lines, ""]


def _stages_md(stages: dict[str, dict[str, Any]]) -> list[str]:
    """Where the freshness latency goes, stage by stage (each column is its own percentile)."""
    lines = ["| Stage of the freshness latency | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|"]
    for name, f in stages.items():
        lines.append(
            f"| {name}: {f['what']} | {f['p50_ms']:,.0f} | {f['p95_ms']:,.0f} | {f['p99_ms']:,.0f} |"
        )
    return [*lines, ""]


def _hot_spots_md(profiles: dict[str, dict[str, Any]]) -> list[str]:
    """Per service: where its CPU samples were (py-spy), innermost frames and our own steps."""
    lines = ["| Service (py-spy samples) | On CPU most (self) | Our steps on the stack (inclusive) |"]
    lines.append("|---|---|---|")
    for name, p in profiles.items():
        processes = ", ".join(f"{k} {v:.0%}" for k, v in p["by_process"].items())
        hot = "<br>".join(f"{share:.0%} {frame}" for frame, share in p["self"])
        own = "<br>".join(f"{share:.0%} {frame}" for frame, share in p["own_inclusive"])
        lines.append(f"| {name} ({p['samples']:,}; {processes}) | {hot} | {own} |")
    return [*lines, ""]


def _ceilings_md(result: BenchmarkResult) -> list[str]:
    """End to end next to each stage's ceiling: which stage bounds the pipeline, and how closely."""
    rates = {m.name: m for m in result.measurements}
    e2e = rates.get("e2e_throughput")
    if e2e is None:
        return []
    lines = [
        "| Stage ceiling (same run, same articles) | Articles/s | End to end as a share of it |",
        "|---|---:|---:|",
    ]
    for name, ratio in result.params.get("e2e_vs_ceiling", {}).items():
        lines.append(f"| {rates[name].label} | {_fmt(rates[name].per_s, 1)} | {ratio:.3f} |")
    return [*lines, ""]


def _rate(per_s: float) -> str:
    """A rate with a decimal when it is small (the NER model and end to end run at a few per second)."""
    return _fmt(per_s, 1 if per_s < 100 else 0)


def _benchmark_md(result: BenchmarkResult) -> list[str]:
    lines = [f"## {result.title}", ""]
    inline = {k: v for k, v in result.params.items() if k not in _TABLED}
    if inline:
        lines.append("Parameters: " + ", ".join(f"{k}={v}" for k, v in inline.items()))
        lines.append("")
    if result.measurements:
        lines += [
            "| Workload | Articles | Seconds | Articles/s | Per round /s | MB/s | p50 ms | p95 ms | p99 ms "
            "| CPU s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for m in result.measurements:
            lat = [_fmt(m.latency_ms[k], 1) if k in m.latency_ms else "" for k in ("p50", "p95", "p99")]
            cpu = ", ".join(f"{k} {v:.1f}" for k, v in m.cpu_seconds.items())
            rounds = ", ".join(_rate(r) for r in m.rounds_per_s)
            lines.append(
                f"| {m.label} | {m.articles:,} | {m.seconds:.1f} | {_rate(m.per_s)} | {rounds} | "
                f"{m.mb_per_s:.1f} | "
                f"{' | '.join(lat)} | {cpu} |"
            )
        lines.append("")
        notes = [f"{m.label}: {m.notes}" for m in result.measurements if m.notes]
        lines += [f"- {note}" for note in notes]
        lines.append("")
    lines += _ceilings_md(result)
    if result.params.get("latency_by_stage"):
        lines += _stages_md(result.params["latency_by_stage"])
    if result.params.get("hot_spots"):
        lines += _hot_spots_md(result.params["hot_spots"])
    if result.params.get("rss_mb"):
        lines += _memory_md(result.params["rss_mb"])
    if result.checks:
        lines += ["| Target | Measured | Goal | Status |", "|---|---:|---:|---|"]
        for c in result.checks:
            digits = 2 if c.value < 10 else 0
            sign = ">=" if c.higher_is_better else "<="
            unit = f" {c.unit}" if c.unit else ""
            lines.append(
                f"| {c.description} | {_fmt(c.value, digits)}{unit} | {sign} {c.target:g}{unit} | "
                f"{'met' if c.met else 'NOT met'} |"
            )
        lines.append("")
    if result.errors:
        lines += ["**Errors (the figures above are not valid):**", ""]
        lines += [f"- {error}" for error in result.errors]
        lines.append("")
    return lines


def markdown(run: Run) -> str:
    facts = run.machine_before
    mode = "smoke run: tiny counts prove the harness works, nothing more" if run.smoke else "full"
    lines = [
        f"# Wirestream benchmarks, {run.started_at:%Y-%m-%d %H:%M:%S} UTC ({mode})",
        "",
        f"Result: {'OK' if run.ok else 'FAILED: errors below make the figures invalid'}",
        "",
        "| Machine | |",
        "|---|---|",
        f"| CPUs | {facts['cpu_count']} ({facts['cpu_model']}) |",
        f"| Memory | {facts['memory_total_gib']} GiB total, {facts['memory_available_gib']} GiB available |",
        f"| Load average at start / end | {facts['load_average_1_5_15']} / "
        f"{run.machine_after['load_average_1_5_15']} |",
        f"| OS | {facts['os']} |",
        f"| Python | {facts['python']} |",
        f"| Kafka / Elasticsearch | {facts['kafka']} / {facts['elasticsearch']} |",
        f"| Packages | {', '.join(f'{k} {v}' for k, v in facts['packages'].items())} |",
        f"| kafka-python CRC32C | {facts['kafka_python_crc32c']} |",
        f"| Revision | {facts['git']} |",
        "",
        "The load generator, the services and both servers share this machine, so the figures",
        "include their competition for CPU; the CPU seconds column shows who used what.",
        "",
    ]
    for result in run.results:
        lines += _benchmark_md(result)
    return "\n".join(lines).rstrip() + "\n"


def write(run: Run, directory: Path = RESULTS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / stem(run)
    json_path, md_path, png_path = (base.with_suffix(s) for s in (".json", ".md", ".png"))
    json_path.write_text(json.dumps(as_dict(run), indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(run))
    written = [json_path, md_path]
    if charts.draw(run, png_path):
        written.append(png_path)
    return written
