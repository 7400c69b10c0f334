# syntax=docker/dockerfile:1
# Build: the same recipe as .ci/build, which CI runs on every change.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG GUIDEBOT_VERSION=dev
ARG GUIDEBOT_COMMIT=unknown
RUN GUIDEBOT_VERSION="$GUIDEBOT_VERSION" GUIDEBOT_COMMIT="$GUIDEBOT_COMMIT" .ci/build /out/guidebot

# Run: a small Debian with a non-root user; state lives in the /data volume.
FROM debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates curl \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin guidebot \
	&& mkdir -p /data && chown guidebot:guidebot /data
COPY --from=build /out/guidebot /usr/local/bin/guidebot
USER guidebot
WORKDIR /data
VOLUME /data
# Every config key can come from GUIDEBOT_* variables, which override a
# mounted /data/config.yaml. The default database.uri, guidebot.db, is
# relative to the working directory: the volume. The health check needs the
# HTTP server; set GUIDEBOT_HTTP_LISTEN to move it.
ENV GUIDEBOT_HTTP_LISTEN=0.0.0.0:9108
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
	CMD curl -fsS http://127.0.0.1:9108/healthz || exit 1
ENTRYPOINT ["guidebot"]
# Reads /data/config.yaml when it exists, else the environment alone.
CMD ["run"]
