# Builds all service binaries; each compose service runs one of them.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bins

FROM debian:bookworm-slim
# libssl: the bundled libpq links it for TLS to PostgreSQL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/enterprise-registry \
                  /src/target/release/target-allocation \
                  /src/target/release/monitoring \
                  /src/target/release/hte-suite /usr/local/bin/
# Numeric, so Kubernetes' runAsNonRoot can check it (nobody:nogroup).
USER 65534:65534
ENV HOST=0.0.0.0 LOG_FORMAT=json
# Health checks: `hte-suite healthcheck <service>` GETs /readyz (the image has no curl).
