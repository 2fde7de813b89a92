# Casusregie API. Configure with CASUSREGIE_* (see README). Production is the default (and stated here once
# more): it needs CASUSREGIE_DATABASE_URL (PostgreSQL), CASUSREGIE_JWKS and CASUSREGIE_BSN_HASH_KEY, and
# refuses to start without them.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 CASUSREGIE_ENV=production
WORKDIR /srv/casusregie

COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY policies ./policies
RUN pip install --no-cache-dir -e . \
    && useradd --system --uid 10001 --home-dir /srv/casusregie casusregie \
    && chown -R casusregie /srv/casusregie

USER casusregie
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status==200 else 1)"
CMD ["sh", "-c", "casusregie migrate && exec casusregie serve --host 0.0.0.0 --port 8000 --workers ${CASUSREGIE_WORKERS:-2}"]
