# shardfit: one image for the coordinator and the workers (deploy/kubernetes/).
#   docker build -t shardfit:0.2.0 .
#   docker run --rm shardfit:0.2.0 src/cli/worker.ts --help
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# Bun is a dev dependency of the package (users bring their own runtime): install the version
# package.json pins globally, then only the runtime dependencies.
RUN npm install -g "bun@$(node -p 'require("./package.json").devDependencies.bun')" \
  && npm ci --omit=dev && npm cache clean --force
COPY src ./src
COPY workers ./workers
COPY public ./public
COPY tsconfig.json deno.json ./
# Unprivileged at run time; /models is where the coordinator writes the model.
RUN mkdir /models && chown node:node /models
USER node
ENV PATH=/app/node_modules/.bin:$PATH
ENTRYPOINT ["bun"]
CMD ["src/cli/worker.ts", "--help"]
