/**
 * A PNG the caller sent is unusable; `status` is the HTTP status that fits: 400 malformed,
 * 413 declared size over the limit, 422 well-formed but its data exceeds what the header allows.
 */
export class PngError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 422 = 400,
  ) {
    super(message);
    this.name = "PngError";
  }
}
