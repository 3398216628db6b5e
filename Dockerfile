# syntax=docker/dockerfile:1
# The seatkeeper worker (and the publish tool) as static binaries on a
# distroless base, running as a non-root user.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/worker ./cmd/worker \
 && go build -trimpath -ldflags="-s -w" -o /out/publish ./cmd/publish \
 && go build -trimpath -ldflags="-s -w" -o /out/healthcheck ./deploy/healthcheck

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/publish /out/healthcheck /usr/local/bin/
USER nonroot:nonroot
# Probes and metrics on every interface of the container; the embedded
# server (no NATS_URL) keeps its data in the non-root user's home.
ENV SEATKEEPER_HTTP_ADDR=0.0.0.0:9464 \
    SEATKEEPER_DATA_DIR=/home/nonroot/data
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:9464/readyz"]
ENTRYPOINT ["/usr/local/bin/worker"]
