/** The virtual module `src/adapter/edge/bundle.ts` generates for the edge bundle. */
declare module "shardfit:edge-assets" {
  /** The parsed `model.json`. */
  export const modelJson: unknown;
  /** `weights.bin`, a workerd Data module. */
  export const weights: ArrayBuffer;
  export const page: { readonly html: string; readonly js: string };
}
