# dsar-portal: multi-stage image. Build: docker build -t dsar-portal .
# Run (SQLite, data in a volume):
#   docker run -d -p 127.0.0.1:8080:8080 -v dsar-data:/data \
#     -e DSAR_PUBLIC_URL=https://privacy.example.com dsar-portal
# See docs/DEPLOYMENT.md for PostgreSQL, secrets and the reverse proxy.

FROM rust:bookworm AS builder
# The client libraries diesel (PostgreSQL, SQLite) and native-tls link against.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# --locked: exactly the versions in Cargo.lock (the ones the test suite ran with).
RUN cargo build --release --locked --bin dsar-portal \
 && install -m 0755 target/release/dsar-portal /usr/local/bin/dsar-portal

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin dsar \
 && install -d -o dsar -g dsar -m 0700 /data
COPY --from=builder /usr/local/bin/dsar-portal /usr/local/bin/dsar-portal
USER dsar
WORKDIR /data
# Templates, styles and migrations are built into the binary: only /data is state
# (SQLite database, keys, .eml outbox). With PostgreSQL it still holds the keys.
ENV DSAR_DATA_DIR=/data \
    DSAR_BIND=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers 200 while the process serves HTTP (a database outage is /readyz's
# concern: restarting the container would not mend it). Plain bash, no curl needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/dsar-portal"]
CMD ["serve"]
