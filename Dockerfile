# shardfit: one image for the coordinator and the workers (deploy/kubernetes/).
#   docker build -t shardfit:0.1.0 .
#   docker run --rm shardfit:0.1.0 src/cli/worker.ts --help
# Bun and Deno come from the npm packages `bun` and `deno`, as in a checkout.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY src ./src
COPY workers ./workers
COPY tsconfig.json deno.json ./
# Unprivileged at run time; /models is where the coordinator writes the model.
RUN mkdir /models && chown node:node /models
USER node
ENV PATH=/app/node_modules/.bin:$PATH
ENTRYPOINT ["bun"]
CMD ["src/cli/worker.ts", "--help"]
