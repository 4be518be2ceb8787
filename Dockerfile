# Asset Graph against an external PostgreSQL (ASSETGRAPH_DATABASE_URL); no embedded server here.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ASSETGRAPH_ENV=production \
    ASSETGRAPH_DATA_DIR=/data ASSETGRAPH_BLOB_DIR=/data/blobs
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY domain ./domain
COPY schema ./schema
COPY migrations ./migrations
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home /app assetgraph \
    && mkdir -p /data/blobs && chown -R assetgraph /data
USER assetgraph
# Uploaded and generated files; share it between API and worker containers.
VOLUME /data

# Production needs ASSETGRAPH_FILE_URL_SECRET (the key of signed file URLs) at run time:
# `serve` refuses to start without it. ASSETGRAPH_BLOB_URL=s3://… puts files in a bucket.
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "assetgraph migrate && exec assetgraph serve --host 0.0.0.0 --port 8000"]
