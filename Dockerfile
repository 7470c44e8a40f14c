# syntax=docker/dockerfile:1
# diemcau server image: `docker build -t diemcau .`, then
#   docker run --network host -v diemcau-data:/var/lib/diemcau/data \
#     -e DIEMCAU_MEDIASOUP_ANNOUNCED_ADDRESS=<this host's LAN address> diemcau
# It binds 0.0.0.0, so HTTPS is on: mount a certificate (DIEMCAU_HTTP_TLS_CERT_FILE,
# DIEMCAU_HTTP_TLS_KEY_FILE) or use the self-signed one printed at first start.

FROM node:24-bookworm AS build
WORKDIR /app
ENV DEBIAN_FRONTEND=noninteractive \
    DIEMCAU_CACHE_DIR=/opt/diemcau-cache
COPY package.json package-lock.json ./
# The worker is made below, not by mediasoup's postinstall. (esbuild's binary is an
# optional dependency, so optional ones are pruned only at the end: the image's Node is
# already 24 and Debian's ffmpeg is used.)
RUN MEDIASOUP_WORKER_BIN=skip npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.prod.json ./
COPY bin bin
COPY config config
COPY common common
COPY protocol protocol
COPY archive archive
COPY src src
COPY workers workers
COPY recorder recorder
COPY client-sdk client-sdk
COPY scripts/build-client.mjs scripts/build-client.mjs
RUN npx tsc -p tsconfig.prod.json && node scripts/build-client.mjs
# Same command as scripts/setup.sh: mediasoup's prebuilt worker if it can be fetched,
# else the air-gapped build (which installs its Debian build packages itself); checked
# (smoke + SRTP round trips) before it is kept.
RUN apt-get update \
 && bin/diemcau worker build \
 && cp "$(bin/diemcau worker path)" /opt/mediasoup-worker
RUN npm prune --omit=dev --omit=optional

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    MEDIASOUP_WORKER_BIN=/usr/local/lib/diemcau/mediasoup-worker \
    DIEMCAU_DATA_DIR=/var/lib/diemcau/data \
    DIEMCAU_SESSIONS_DEMO=false \
    DIEMCAU_HTTP_HOST=0.0.0.0 \
    DIEMCAU_MEDIASOUP_LISTEN_IP=0.0.0.0
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/bin bin
COPY --from=build /app/config config
COPY --from=build /opt/mediasoup-worker /usr/local/lib/diemcau/mediasoup-worker
# Runtime libraries of the worker, and ffmpeg, from the one list in aptPackages.ts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(bin/diemcau worker apt-packages runtime) \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/diemcau --create-home diemcau \
 && mkdir -p /var/lib/diemcau/data && chown -R diemcau:diemcau /var/lib/diemcau \
 && chmod 0700 /var/lib/diemcau/data
USER diemcau
VOLUME ["/var/lib/diemcau/data"]
EXPOSE 4443/tcp 44444-44447/udp 44444-44447/tcp
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "process.env.NODE_TLS_REJECT_UNAUTHORIZED='0';fetch('https://127.0.0.1:4443/healthz').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
ENTRYPOINT ["bin/diemcau"]
CMD ["serve"]
