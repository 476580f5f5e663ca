# Multi-stage build: a release binary on a small Debian runtime.
FROM rust:1.95-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY config ./config
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin zonewire \
    && mkdir -p /data /etc/zonewire && chown zonewire /data
COPY --from=build /src/target/release/zonewire /usr/local/bin/zonewire
# The default config, with the store on the volume and the server on all interfaces.
COPY config/zonewire.toml /etc/zonewire/zonewire.toml
RUN sed -i -e 's#^path *=.*#path           = "/data/zonewire.sled"#' \
           -e 's#^listen *=.*#listen   = "0.0.0.0:8080"#' /etc/zonewire/zonewire.toml
ENV ZONEWIRE_CONFIG=/etc/zonewire/zonewire.toml
USER zonewire
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["zonewire", "health", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["zonewire"]
CMD ["run"]
