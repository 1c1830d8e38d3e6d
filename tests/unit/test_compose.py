"""docker-compose.yml, Dockerfile and .dockerignore checked against the code they deploy.

The compose file repeats facts that live elsewhere: the server versions (infra/pom.xml),
the environment names and default ports of the services (their settings models) and
the broker settings of the local run (infra/servers.py). These tests read those sources
and fail when the Docker files drift from them. No Docker engine is needed; when the
docker CLI with its compose plugin is present, `docker compose config` validates the
file against the Compose specification as well.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from infra.maven import pinned_version
from infra.servers import prepare_kafka
from infra.settings import InfraSettings
from services.common.settings import CommonSettings
from services.enrich.settings import EnrichSettings
from services.index.settings import IndexSettings
from services.ingest.settings import IngestSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

# Compose service -> (its settings model, the module that `python -m` runs).
APP_SERVICES: dict[str, tuple[type[CommonSettings], str]] = {
    "ingest": (IngestSettings, "services.ingest"),
    "enrich": (EnrichSettings, "services.enrich"),
    "index": (IndexSettings, "services.index"),
}
SERVER_SERVICES = ("kafka", "elasticsearch")
ES_DATA_PATH = "/usr/share/elasticsearch/data"
# Local broker properties about addresses and folders: compose has its own (plus a listener
# for the host); the test checks those for consistency among themselves instead.
KAFKA_NETWORK_KEYS = {
    "listeners",
    "advertised.listeners",
    "listener.security.protocol.map",
    "controller.quorum.voters",
    "log.dirs",
}


def env_names(model: type[BaseSettings]) -> dict[str, str]:
    """Every environment name pydantic-settings reads for `model`, mapped to its field.

    A field with a validation alias (or alias) is read under that name alone; any other
    field under env_prefix + field name. Names compare case-insensitively, as the models
    are not case-sensitive.
    """
    assert not model.model_config.get("case_sensitive"), "names below are upper-cased"
    prefix = model.model_config.get("env_prefix", "")
    names: dict[str, str] = {}
    for field_name, info in model.model_fields.items():
        alias = info.validation_alias or info.alias
        if alias is None:
            choices = [f"{prefix}{field_name}"]
        elif isinstance(alias, str):
            choices = [alias]
        elif isinstance(alias, AliasChoices):
            choices = [choice for choice in alias.choices if isinstance(choice, str)]
        else:  # an AliasPath reads a nested value, never a whole variable
            choices = []
        names.update({choice.upper(): field_name for choice in choices})
    return names


def interpolate(value: str) -> str:
    """What compose makes of `value` when none of the variables it names is set."""

    def default(match: re.Match[str]) -> str:
        name, operator, fallback = match.group("name"), match.group("op"), match.group("default")
        if operator in (":-", "-"):
            return fallback
        raise AssertionError(f"${{{name}{operator or ''}...}} has no default: compose config would need it")

    braced = re.sub(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?+])(?P<default>[^}]*))?\}", default, value)
    assert not re.search(r"(?<!\$)\$(?!\$)\w", braced), f"use ${{NAME:-default}} in {value!r}"
    return braced.replace("$$", "$")


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    """A service's environment as a mapping, from either of compose's two spellings."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = [item.partition("=") for item in raw]
        return {name: (value if sep else None) for name, sep, value in pairs}
    return {name: None if value is None else str(value) for name, value in raw.items()}


def container_ports(service: dict[str, Any]) -> set[int]:
    """The container side of each published port ("127.0.0.1:8080:8080" -> 8080)."""
    ports = set()
    for entry in service.get("ports", []):
        target = entry["target"] if isinstance(entry, dict) else str(entry).rsplit(":", 1)[-1]
        ports.add(int(str(target).split("/")[0]))
    return ports


def named_volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> volume name, for the service's named-volume mounts only."""
    mounts = {}
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            if entry.get("type", "volume") == "volume":
                mounts[entry["target"]] = entry["source"]
        else:
            source, _, rest = str(entry).partition(":")
            if source and not source.startswith((".", "/", "~")):
                mounts[rest.split(":")[0]] = source
    return mounts


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def dockerfile_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in instructions:
        if keyword == "ENV":
            for token in shlex.split(arguments):
                name, sep, value = token.partition("=")
                assert sep, f"write ENV as NAME=value: {arguments!r}"
                env[name] = value
    return env


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def kafka_env(services: dict[str, dict[str, Any]]) -> dict[str, str | None]:
    return environment(services["kafka"])


def test_the_platform_is_two_servers_and_three_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {*SERVER_SERVICES, *APP_SERVICES}


@pytest.mark.parametrize("name", [*SERVER_SERVICES, *APP_SERVICES])
def test_every_container_restarts_and_has_a_healthcheck(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    assert service.get("restart") == "unless-stopped"
    healthcheck = service.get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable")
    test = healthcheck["test"]
    assert isinstance(test, list)
    assert test[0] in ("CMD", "CMD-SHELL")
    assert len(test) > 1
    for key in ("interval", "timeout", "retries", "start_period"):
        assert key in healthcheck, f"{name}'s healthcheck has no {key}"


def test_server_images_carry_the_versions_pinned_in_the_pom(services: dict[str, dict[str, Any]]) -> None:
    assert services["kafka"]["image"] == f"apache/kafka:{pinned_version('kafka')}"
    assert services["elasticsearch"]["image"] == (
        f"docker.elastic.co/elasticsearch/elasticsearch:{pinned_version('elasticsearch')}"
    )


def test_the_services_share_one_image_built_from_the_dockerfile(
    services: dict[str, dict[str, Any]],
) -> None:
    builds = {name: services[name].get("build") for name in APP_SERVICES}
    images = {name: services[name].get("image") for name in APP_SERVICES}
    for build in builds.values():
        assert isinstance(build, dict)
        assert build.get("context") == "."
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    assert len({repr(build) for build in builds.values()}) == 1, builds
    assert len(set(images.values())) == 1, images
    assert None not in images.values()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_a_service_runs_its_module_after_its_servers_are_healthy(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    model, module = APP_SERVICES[name]
    service = services[name]
    assert service["command"] == ["python", "-m", module]
    needs = {"kafka"}
    if "WIRESTREAM_ES_URL" in env_names(model):
        needs.add("elasticsearch")
    depends_on = service.get("depends_on")
    assert isinstance(depends_on, dict), "depends_on needs the long form to state a condition"
    assert set(depends_on) == needs
    for dependency in depends_on.values():
        assert dependency.get("condition") == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_environment_names_are_fields_of_the_settings_model(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    model, _ = APP_SERVICES[name]
    known = env_names(model)
    env = environment(services[name])
    unknown = sorted(key for key in env if key.startswith("WIRESTREAM_") and key.upper() not in known)
    assert not unknown, f"{name} sets {unknown}, which {model.__name__} does not read"
    # The platform-wide names are set in every service: none may fall back to its local-run
    # default (Kafka on 127.0.0.1).
    missing = sorted(set(env_names(CommonSettings)) - {key.upper() for key in env})
    assert not missing, f"{name} leaves {missing} at the loopback defaults"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_environment_values_are_valid_settings_inside_the_network(
    services: dict[str, dict[str, Any]],
    kafka_env: dict[str, str | None],
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, _ = APP_SERVICES[name]
    for key in list(os.environ):
        if key.upper().startswith("WIRESTREAM_"):
            monkeypatch.delenv(key)
    for key, value in environment(services[name]).items():
        if value is not None:  # no value: passed on from the host only when set there
            monkeypatch.setenv(key, interpolate(value))
    settings = model()  # raises when a value does not fit its field
    assert settings.model_dump()["host"] == "0.0.0.0"
    advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"] or ""
    for server in settings.kafka_bootstrap.split(","):
        assert f"//{server.strip()}" in advertised, f"{server} is not a listener the broker advertises"
    if isinstance(settings, IndexSettings):
        assert settings.es_url == "http://elasticsearch:9200"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_ports_are_the_settings_defaults(services: dict[str, dict[str, Any]], name: str) -> None:
    model, _ = APP_SERVICES[name]
    default = model.model_fields["port"].default
    service = services[name]
    port_names = [key for key, field in env_names(model).items() if field == "port"]
    for key, value in environment(service).items():
        if key.upper() in port_names and value is not None:
            assert int(interpolate(value)) == default
    assert container_ports(service) == {default}
    probe = " ".join(str(part) for part in service["healthcheck"]["test"])
    assert re.search(rf"http://(127\.0\.0\.1|localhost):{default}/(readyz|healthz)\b", probe), probe


def test_volumes_are_named_and_hold_each_containers_data(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], kafka_env: dict[str, str | None]
) -> None:
    declared = set(compose.get("volumes") or {})
    enrich_dir = environment(services["enrich"])["WIRESTREAM_ENRICH_DATA_DIR"]
    expected = {
        "kafka": kafka_env["KAFKA_LOG_DIRS"],
        "elasticsearch": ES_DATA_PATH,
        "enrich": enrich_dir,
    }
    seen = set()
    for name, path in expected.items():
        mounts = named_volume_mounts(services[name])
        assert path in mounts, f"{name} keeps {path} in no named volume (mounts: {mounts})"
        assert mounts[path] in declared
        seen.add(mounts[path])
    assert len(seen) == len(expected), "each container needs a volume of its own"


def test_kafka_is_a_single_kraft_node_with_the_local_broker_settings(
    kafka_env: dict[str, str | None], tmp_path: Path
) -> None:
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka_env.get("CLUSTER_ID"), "the image formats its storage with CLUSTER_ID"
    # Let the launcher write its server.properties; an existing meta.properties tells it
    # the storage is formatted, so no Java runs.
    infra = InfraSettings(state_dir=tmp_path)
    (tmp_path / "kafka" / "data").mkdir(parents=True)
    (tmp_path / "kafka" / "data" / "meta.properties").write_text("")
    prepare_kafka(infra)
    local = dict(
        line.split("=", 1) for line in (tmp_path / "kafka" / "server.properties").read_text().splitlines()
    )
    assert local["auto.create.topics.enable"] == "false"
    # Every listener has a protocol, and the controller and broker listeners exist.
    protocols = dict(
        pair.split(":") for pair in (kafka_env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] or "").split(",")
    )
    listeners = {entry.split("://")[0] for entry in (kafka_env["KAFKA_LISTENERS"] or "").split(",")}
    advertised = {
        entry.split("://")[0] for entry in (kafka_env["KAFKA_ADVERTISED_LISTENERS"] or "").split(",")
    }
    assert listeners <= set(protocols)
    assert advertised <= listeners
    assert {local["controller.listener.names"], local["inter.broker.listener.name"]} <= listeners
    assert local["controller.listener.names"] not in advertised
    voter_port = (kafka_env["KAFKA_CONTROLLER_QUORUM_VOTERS"] or "").rsplit(":", 1)[-1]
    controller = rf"(^|,){local['controller.listener.names']}://[^,]*:{voter_port}(,|$)"
    assert re.search(controller, kafka_env["KAFKA_LISTENERS"] or ""), (
        "the voter is not the controller listener"
    )
    for key, value in local.items():
        if key in KAFKA_NETWORK_KEYS:
            continue
        # The image's rule: KAFKA_ + upper case, "." -> "_", "_" -> "__", "-" -> "___".
        name = "KAFKA_" + key.replace("-", "___").replace("_", "__").replace(".", "_").upper()
        assert kafka_env.get(name) == value, f"{name} should be {value!r} as in the local broker"


def test_elasticsearch_is_a_single_development_node(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["elasticsearch"])
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "false"
    heap = dict(re.findall(r"-Xm([sx])(\d+[kmg])", env["ES_JAVA_OPTS"] or ""))
    assert heap.get("s") == heap.get("x") is not None, "set -Xms and -Xmx to the same size"


def test_dockerfile_builds_one_unprivileged_image_of_the_project(
    services: dict[str, dict[str, Any]],
) -> None:
    instructions = dockerfile_instructions()
    bases = [arguments.split()[0] for keyword, arguments in instructions if keyword == "FROM"]
    assert bases
    assert all(base == "python:3.11-slim" for base in bases), bases
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    assert any(re.search(r"pip install -c constraints\.txt \.(\s|$)", run) for run in runs)

    final = final_stage(instructions)
    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users, "the runtime stage must switch to an unprivileged user"
    assert users[-1].split(":")[0] not in ("root", "0")

    # What the image sets for the services must also be fields of their models.
    env = dockerfile_env(final)
    known = set().union(*(env_names(model) for model, _ in APP_SERVICES.values()))
    unknown = sorted(key for key in env if key.startswith("WIRESTREAM_") and key not in known)
    assert not unknown, f"the Dockerfile sets {unknown}, which no settings model reads"
    for key, value in env.items():
        if key.endswith("_HOST") and key.startswith("WIRESTREAM_"):
            assert value == "0.0.0.0"
    # enrich's volume starts out owned by the service user only if the folder exists in the image.
    enrich_dir = environment(services["enrich"])["WIRESTREAM_ENRICH_DATA_DIR"]
    assert env.get("WIRESTREAM_ENRICH_DATA_DIR") == enrich_dir
    assert any("mkdir" in run and enrich_dir in run and "chown" in run for run in runs)


def test_the_build_context_holds_what_pip_install_needs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = pyproject["tool"]["setuptools"]["packages"]["find"]
    packages = [pattern.rstrip("*.") for pattern in find["include"]]
    needed = ["pyproject.toml", "constraints.txt", pyproject["project"]["readme"], *packages]
    copied = set()  # the sources of COPY and ADD from the build context (not --from a stage)
    for keyword, arguments in dockerfile_instructions():
        tokens = shlex.split(arguments)
        if keyword in ("COPY", "ADD") and not any(token.startswith("--from") for token in tokens):
            copied.update(token.rstrip("/") for token in tokens[:-1] if not token.startswith("--"))
    rules = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    for path in needed:
        assert path in copied or "." in copied, f"the Dockerfile does not copy {path}"
        included = True
        for rule in rules:  # the last rule that matches decides, as in Docker
            pattern = rule.removeprefix("!").rstrip("/")
            if fnmatch.fnmatch(path, pattern):
                included = rule.startswith("!")
        assert included, f".dockerignore leaves {path} out of the build context"


def _compose_cli() -> list[str]:
    """`docker compose` when the CLI has its plugin, else Debian's `docker-compose` (no engine needed).

    scripts/system-deps.sh installs the latter, so the check runs on every machine `make test` set up.
    """
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    assert standalone is not None, "neither `docker compose` nor `docker-compose`: run scripts/system-deps.sh"
    return [standalone]


def test_docker_compose_accepts_the_file() -> None:
    command = [*_compose_cli(), "-f", str(COMPOSE_FILE), "--project-directory", str(ROOT)]
    checked = subprocess.run(
        [*command, "config", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert checked.returncode == 0, checked.stderr
    listed = subprocess.run(
        [*command, "config", "--services"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert set(listed.stdout.split()) == {*SERVER_SERVICES, *APP_SERVICES}
