# One image for every Node process of compose.yaml (gateway, subgraphs, migrate); each service
# gives its own command.
FROM node:20-bookworm-slim

ENV APOLLO_TELEMETRY_DISABLED=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

WORKDIR /app
RUN chown node:node /app
USER node

COPY --chown=node:node package.json package-lock.json ./
RUN npm ci && npm cache clean --force

COPY --chown=node:node . .

CMD ["npx", "teranga", "--help"]
