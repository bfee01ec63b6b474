# The momentum API. Configuration comes from the environment (see README).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CONSTRAINT=/app/constraints.txt \
    MOMENTUM_HOST=0.0.0.0 \
    MOMENTUM_PORT=8000

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY gql gql
COPY models models
COPY resolvers resolvers
COPY subscriptions subscriptions
COPY migrations migrations
RUN pip install . && useradd --system --uid 10001 momentum

USER momentum
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["momentum", "serve"]
