# tessera's container image: the wheel (UI assets included) built in one stage, installed into a
# virtualenv, and copied into a slim runtime that runs as an unprivileged user. No secret is baked
# in: FERNET_KEY, the database password and the Azure client secret come from the environment
# (or *_FILE mounts) at run time.
#
#   docker build -t tessera .
#   docker run -p 8585:8585 -e DB_HOST=... -e FERNET_KEY=... tessera
#
# BASE_IMAGE is any Debian-like image with python3 (>= 3.11) and its venv module; PIP_OPTIONS lets
# an offline build install from a wheelhouse in the build context (--no-index --find-links
# /context/wheelhouse: the context is mounted there, never copied into a layer), as the tests do.
ARG BASE_IMAGE=python:3.12-slim-bookworm

FROM ${BASE_IMAGE} AS build
ARG PIP_OPTIONS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# Dependencies first, from the project's metadata only: this layer is rebuilt when they change,
# not when the code does.
COPY pyproject.toml README.md ./
RUN --mount=type=bind,target=/context \
    python3 -m venv /opt/tessera \
    && python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/tessera/bin/pip install ${PIP_OPTIONS} -r requirements.txt
COPY src ./src
RUN --mount=type=bind,target=/context \
    /opt/tessera/bin/pip wheel ${PIP_OPTIONS} --no-deps --wheel-dir /dist . \
    && /opt/tessera/bin/pip install ${PIP_OPTIONS} --no-deps /dist/*.whl

FROM ${BASE_IMAGE} AS runtime
COPY --from=build /opt/tessera /opt/tessera
RUN groupadd --system --gid 10001 tessera \
    && useradd --system --uid 10001 --gid tessera --home-dir /var/lib/tessera --create-home tessera \
    && chmod 700 /var/lib/tessera
ENV PATH=/opt/tessera/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TESSERA_HOME=/var/lib/tessera \
    SERVER_HOST=0.0.0.0 \
    SERVER_PORT=8585
USER 10001:10001
WORKDIR /var/lib/tessera
VOLUME ["/var/lib/tessera"]
EXPOSE 8585
# /healthz answers while the process is alive; the port follows SERVER_PORT.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SERVER_PORT', '8585'), timeout=4)"]
ENTRYPOINT ["tessera"]
CMD ["serve"]
