/** The virtual module `src/adapter/worker-bundle.ts` generates for the workerd bundle. */
declare module "shardfit:worker-assets" {
  /** The parsed `model.json`. */
  export const modelJson: unknown;
  /** `weights.bin`, a workerd Data module. */
  export const weights: ArrayBuffer;
  export const page: { readonly html: string; readonly js: string };
}
