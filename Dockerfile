# syntax=docker/dockerfile:1
# The gridauthz image the Helm chart (helm/gridauthz) deploys. Build from the repository root:
#   docker build -t registry.example.org/grid/gridauthz:$(node -p 'require("./package.json").version') .
# Pin the base by digest in production builds: --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:...
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# npm ci runs the `prepare` script, which is the build: scripts/ must be there before it. With no sources yet
# it compiles nothing; this layer (all dependencies) is reused until package*.json or scripts/ change.
COPY package.json package-lock.json ./
COPY scripts/ scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY apps/ apps/
COPY libs/ libs/
COPY migrations/ migrations/
COPY bin/ bin/
COPY policies/ policies/
# Compile to dist/ (migrations included), then drop the compiler and test tools from node_modules.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# A fixed uid/gid: the chart's securityContext (runAsUser 10001, fsGroup 10001) names the same numbers.
RUN groupadd --system --gid 10001 gridauthz \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin gridauthz
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot be changed by the process running it.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/policies ./policies
USER 10001:10001
# 8443 PDP (mutual TLS), 9180 management (plain HTTP: /healthz, /readyz), 8444 admin API.
EXPOSE 8443 9180 8444
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz on the management port; systemd watches the process.
ENTRYPOINT ["node", "/app/bin/gridauthz.js"]
CMD ["serve"]
