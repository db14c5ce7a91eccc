/**
 * The edge entry (Cloudflare workerd): the same Hono app as Bun and Deno, with the model and
 * the page bundled in (workerd has no filesystem). Built by `npm run build:edge`, which
 * resolves `shardfit:edge-assets` to the chosen model and the bundled page; nothing here may
 * load tfjs, since workerd refuses to compile WebAssembly from bytes at run time.
 */
import { modelJson, page, weights } from "shardfit:edge-assets";
import { fromLayersModel } from "../../core/model/layers-json.ts";
import { createApp } from "../../server/app.ts";
import { mountPage } from "../../server/page.ts";

// Built on the first request rather than at import, so a bad model surfaces as a logged 500
// with its message instead of a worker that fails to start with a bare script error.
let app: ReturnType<typeof createApp> | undefined;

export default {
  fetch(request: Request): Response | Promise<Response> {
    app ??= mountPage(
      createApp({ model: fromLayersModel(modelJson, new Uint8Array(weights)) }),
      page,
    );
    return app.fetch(request);
  },
};
