# Container image of the tenantry binary (controller, sandbox and CLI).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin tenantry

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/tenantry /usr/local/bin/tenantry
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tenantry"]
