# One image for every Node process of compose.yaml (gateway, subgraphs, migrate, secrets); each
# service gives its own command. NODE_IMAGE: any image with Node 20.19+ and npm, and a `node` user.
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}

ENV APOLLO_TELEMETRY_DISABLED=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

WORKDIR /app
# The secrets volumes take this ownership at their first mount, so the secrets service can write them.
RUN chown node:node /app \
 && mkdir -p /var/lib/teranga/secrets /var/lib/teranga/signing-key \
 && chown -R node:node /var/lib/teranga
USER node

COPY --chown=node:node package.json package-lock.json ./
RUN npm ci && npm cache clean --force

COPY --chown=node:node . .

CMD ["npx", "teranga", "--help"]
