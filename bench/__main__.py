"""`python -m bench [--smoke] [--only NAME ...] [--scale X] [--profile] [--shared-cpus]`: run, report.

Kafka and Elasticsearch are started for the run on ports of their own (39092,
39200) from a wiped `.state/bench`, and stopped at the end. Results go to
bench/results/<UTC timestamp>.json and .md. The exit status is 0 when every
benchmark ran without errors (missed targets are reported, not failures), 1
when a benchmark had errors, 2 when the run could not be made at all.
"""

from __future__ import annotations

import argparse
import sys

from bench import machine, report
from bench.harness import progress, run_benchmarks
from bench.suite import BENCHMARKS


def main(argv: list[str] | None = None) -> int:
    names = [b.name for b in BENCHMARKS]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts: prove the harness works")
    parser.add_argument("--only", nargs="+", choices=names, metavar="NAME", help=f"run only these: {names}")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the full-run article counts (default 1)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the end-to-end services with py-spy and report their hot spots",
    )
    parser.add_argument(
        "--shared-cpus",
        action="store_true",
        help="end to end without giving the NER model a CPU of its own (bench.cpu_placement)",
    )
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    selected = [b for b in BENCHMARKS if not args.only or b.name in args.only]

    try:
        run = run_benchmarks(
            selected,
            smoke=args.smoke,
            scale=args.scale,
            profile=args.profile,
            shared_cpus=args.shared_cpus,
            machine=machine.facts,
        )
    except KeyboardInterrupt:
        progress("interrupted; servers stopped, no report written")
        return 130
    except Exception as exc:
        progress(f"the run could not be made: {exc}")
        return 2

    paths = report.write(run)
    print(report.markdown(run))
    for path in paths:
        progress(f"wrote {path}")
    if not run.ok:
        progress("FAILED: a benchmark had errors (see the report); its figures are not valid")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
