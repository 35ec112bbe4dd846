# A small image that runs `dyad serve` as a non-root user.
# The database comes from DYAD_DATABASE_URL (default: a SQLite file in the /data volume); on
# start it is migrated, and the seed is loaded when it has no events, as `make run` does.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DYAD_DATABASE_URL=sqlite:////data/dyad.db

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin dyad \
    && mkdir /data && chown dyad /data

COPY pyproject.toml README.md alembic.ini constraints.txt ./
COPY migrations ./migrations
COPY seed ./seed
COPY app ./app
# Editable, so that the installed package finds migrations/ and seed/ beside it.
# The versions of constraints.txt, as `make run` and CI install them.
RUN pip install -c constraints.txt -e . && rm -rf build

USER dyad
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz')"
CMD ["sh", "-c", "dyad migrate && dyad seed --if-empty && exec dyad serve --host 0.0.0.0 --port 8000"]
