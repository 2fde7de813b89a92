# Casusregie API. Configure with CASUSREGIE_* (see README). Production is the default (and stated here once
# more): the service needs CASUSREGIE_DATABASE_URL (PostgreSQL, the restricted runtime role), CASUSREGIE_JWKS,
# CASUSREGIE_BSN_HASH_KEY and CASUSREGIE_AUDIT_SIGNING_KEY (a mounted secret), and refuses to start without them.
# Migrations are a separate run of the same image with the schema owner's URL (README "Docker").

# -- build: a wheel, with whatever building needs; none of it reaches the final image -----------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && pip wheel --wheel-dir /wheels "$(ls /wheels/casusregie-*.whl)"

# -- run: the installed package (not editable), code and data owned by root, read-only to the service -------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CASUSREGIE_ENV=production \
    CASUSREGIE_POLICIES_DIR=/opt/casusregie/policies \
    CASUSREGIE_MIGRATIONS_DIR=/opt/casusregie/migrations \
    CASUSREGIE_AUDIT_CHECKPOINT_DIR=/var/lib/casusregie/audit-checkpoints
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels casusregie && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home casusregie \
    && mkdir -p /var/lib/casusregie/audit-checkpoints && chown casusregie /var/lib/casusregie/audit-checkpoints
COPY policies /opt/casusregie/policies
COPY migrations /opt/casusregie/migrations
# The checkpoints leave the database here: mount a volume of another machine or disk (or set a witness URL).
VOLUME ["/var/lib/casusregie/audit-checkpoints"]
WORKDIR /var/lib/casusregie
USER casusregie
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status==200 else 1)"
CMD ["sh", "-c", "exec casusregie serve --host 0.0.0.0 --port 8000 --workers ${CASUSREGIE_WORKERS:-2}"]
