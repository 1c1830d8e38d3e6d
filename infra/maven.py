"""Obtain the pinned server distributions with `mvn` (versions live in infra/pom.xml)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

POM = Path(__file__).with_name("pom.xml")


def pinned_version(name: str) -> str:
    """Read `<name.version>` from the pom, the single source of the server versions."""
    match = re.search(rf"<{re.escape(name)}\.version>([^<]+)</", POM.read_text())
    if not match:
        raise KeyError(f"{name}.version is not declared in {POM}")
    return match.group(1)


def _mvn(*goals: str) -> None:
    if shutil.which("mvn") is None:
        raise RuntimeError("mvn is not on PATH: run `make deps` (it installs Maven and a JDK)")
    subprocess.run(["mvn", "-q", "-B", "-f", str(POM), *goals], check=True)


def kafka_libs(dist_dir: Path) -> Path:
    """The folder holding Kafka's runtime classpath."""
    return dist_dir / f"kafka-{pinned_version('kafka')}" / "libs"


def elasticsearch_home(dist_dir: Path) -> Path:
    """The unpacked integration-test distribution of Elasticsearch."""
    return dist_dir / f"elasticsearch-{pinned_version('elasticsearch')}"


def fetch(dist_dir: Path) -> None:
    """Copy both distributions out of Maven's cache (downloading them the first time)."""
    _fetch_kafka(kafka_libs(dist_dir))
    _fetch_elasticsearch(elasticsearch_home(dist_dir))


def _fetch_kafka(target: Path) -> None:
    if not (target / f"kafka_2.13-{pinned_version('kafka')}.jar").exists():
        tmp = target.with_name("libs.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        _mvn(
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}",
            "-DexcludeTypes=zip",
            "-DincludeScope=runtime",
        )
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)


def _fetch_elasticsearch(home: Path) -> None:
    version = pinned_version("elasticsearch")
    if not (home / "bin" / "elasticsearch").exists():
        tmp = home.with_name("es.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        _mvn(
            "dependency:unpack-dependencies",
            "-DincludeTypes=zip",
            f"-DoutputDirectory={tmp}",
            f"-DmarkersDirectory={tmp}/.markers",
        )
        shutil.rmtree(home, ignore_errors=True)
        (tmp / f"elasticsearch-{version}").rename(home)
        shutil.rmtree(tmp, ignore_errors=True)
        # The archiver does not always keep the executable bits.
        for script in (home / "bin").iterdir():
            script.chmod(0o755)
