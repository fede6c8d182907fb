# secds-broker: a static binary on a distroless, non-root base.
#   docker build -t secds-broker .
#   docker run -p 8080:8080 -v /path/to/config:/etc/secds:ro secds-broker
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# -tags release: the image has no dev stack (no AWS emulator, no dev
# identity provider, no demo mapping); `--dev` says so and exits.
RUN CGO_ENABLED=0 go build -trimpath -tags release -ldflags="-s -w" -o /out/secds-broker ./cmd/secds-broker

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/secds-broker /usr/local/bin/secds-broker
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/secds-broker"]
# The config must set `listen: ":8080"` to be reachable from outside the container.
CMD ["--config", "/etc/secds/broker.yaml"]
