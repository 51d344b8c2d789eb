# hermes-proxy in a container: built from this checkout, installed the way `npm install hermes-proxy`
# installs the published package, run as the unprivileged `node` user.
#
#   docker build -t hermes-proxy .
#   docker run --rm -p 8642:8642 -e HERMES_API_KEY=$(openssl rand -hex 24) -e OPENAI_API_KEY hermes-proxy
#
# docker-compose.yml runs two of them on one Redis (see docs/storage.md).

# 1. Build: the full dev install (TypeScript), then `npm pack`, which builds dist/ through `prepack`.
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json LICENSE README.md ./
COPY bin ./bin
COPY src ./src
COPY sdk ./sdk
COPY plugins ./plugins
RUN npm pack --pack-destination /dist && mv /dist/hermes-proxy-*.tgz /dist/hermes-proxy.tgz

# 2. Install: the tarball with its runtime dependencies only, plus ioredis, the optional peer that
#    Redis storage needs (what a user adds with `npm install ioredis`).
FROM node:20-slim AS install
WORKDIR /app
COPY --from=build /dist/hermes-proxy.tgz /tmp/hermes-proxy.tgz
RUN echo '{"name":"hermes-proxy-app","private":true,"type":"module"}' > package.json \
  && npm install --omit=dev --no-audit --no-fund /tmp/hermes-proxy.tgz ioredis@^5 \
  && npm cache clean --force

# 3. Run: no npm, no build tools, no root.
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    HERMES_HOST=0.0.0.0 \
    HERMES_PORT=8642 \
    HERMES_STORAGE=fs:/data
WORKDIR /app
COPY --from=install --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8642
# A config file, if any, is mounted at /app/hermes.config.ts; its `hermes-proxy/...` imports resolve
# to this install.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HERMES_PORT || 8642) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "node_modules/hermes-proxy/bin/hermes-proxy.mjs"]
