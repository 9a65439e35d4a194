# One image for bridgekeeper's worker, receiver and CLI; the command chosen at run time picks which:
#   docker run … bridgekeeper                          node dist/worker.js (the default)
#   docker run … bridgekeeper node dist/receiver.js
#   docker run … bridgekeeper bridgekeeper config check
# Built without a Docker engine in CI: test/deploy/dockerfile.test.ts checks this file, and test/e2e/build.test.ts
# runs the same `npm run build`. See docs/deploying.md#the-image.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Build: every dependency, then `npm run build` (tsc into dist/, then the prebuilt workflow bundle).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies and dist/ only, run as the image's unprivileged `node` user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# `bridgekeeper …` inside the image is the compiled CLI (bin/bridgekeeper.cjs runs the sources through tsx).
RUN printf '#!/bin/sh\nexec node /app/dist/cli/main.js "$@"\n' > /usr/local/bin/bridgekeeper \
  && chmod 755 /usr/local/bin/bridgekeeper
# Inside a container loopback is the container's own; what is published, and where, decides who reaches it.
ENV RECEIVER_HOST=0.0.0.0
EXPOSE 4020
USER node
CMD ["node", "dist/worker.js"]
