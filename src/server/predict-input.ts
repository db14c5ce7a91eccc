import { base64UrlLength, decodeBase64Url } from "../core/base64url.ts";

/**
 * Validation of what clients send to `/predict`. Every problem becomes a RequestError whose
 * message names the field and says what was expected and what arrived, so the route can
 * answer 4xx JSON and never 500 for a client mistake.
 */

export class RequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 413 | 415 | 422,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/** A short, JSON-ish rendering of an arbitrary value for error messages. */
export function show(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === "object" ? "an object" : `${typeof value} ${show(value)}`;
}

/** One image: exactly `size` finite numbers in 0..255. */
export function parsePixelArray(
  value: unknown,
  size: number,
  field: string,
): Uint8Array | Float32Array {
  if (!Array.isArray(value)) {
    throw new RequestError(
      400,
      `${field}: expected an array of ${size} numbers 0..255, got ${kind(value)}`,
    );
  }
  if (value.length !== size) {
    throw new RequestError(400, `${field}: expected ${size} pixel values, got ${value.length}`);
  }
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const v = value[i];
    if (typeof v !== "number") {
      throw new RequestError(400, `${field}[${i}]: expected a number 0..255, got ${kind(v)}`);
    }
    if (!Number.isFinite(v))
      throw new RequestError(400, `${field}[${i}]: expected a finite number, got ${v}`);
    if (v < 0 || v > 255)
      throw new RequestError(400, `${field}[${i}]: expected a value in 0..255, got ${v}`);
    out[i] = v;
  }
  return out;
}

export type PredictBody =
  | { readonly kind: "single"; readonly pixels: ArrayLike<number> }
  | { readonly kind: "batch"; readonly instances: ArrayLike<number>[] };

/** Parses the JSON body `{"pixels":[…]}` or `{"instances":[[…],…]}`. */
export function parsePredictJson(text: string, size: number, maxInstances: number): PredictBody {
  if (text.trim() === "")
    throw new RequestError(400, 'empty body: expected JSON {"pixels": [...]}');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, `malformed JSON: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new RequestError(
      400,
      `body: expected a JSON object {"pixels": [...]} or {"instances": [[...], ...]}, got ${kind(json)}`,
    );
  }
  const keys = Object.keys(json);
  const unknown = keys.filter((k) => k !== "pixels" && k !== "instances");
  if (unknown.length > 0) {
    throw new RequestError(
      400,
      `body: unexpected field ${show(unknown[0])}; expected "pixels" or "instances"`,
    );
  }
  if (keys.length !== 1) {
    throw new RequestError(
      400,
      `body: expected exactly one of "pixels" or "instances", got ${keys.length === 0 ? "neither" : "both"}`,
    );
  }
  const body = json as { pixels?: unknown; instances?: unknown };
  if ("pixels" in body)
    return { kind: "single", pixels: parsePixelArray(body.pixels, size, "pixels") };
  const instances = body.instances;
  if (!Array.isArray(instances)) {
    throw new RequestError(
      400,
      `instances: expected an array of 1..${maxInstances} images, got ${kind(instances)}`,
    );
  }
  if (instances.length < 1 || instances.length > maxInstances) {
    throw new RequestError(
      400,
      `instances: expected 1..${maxInstances} images, got ${instances.length}`,
    );
  }
  return {
    kind: "batch",
    instances: instances.map((image, i) => parsePixelArray(image, size, `instances[${i}]`)),
  };
}

/** Parses `?pixels=<base64url>` into exactly `size` bytes. */
export function parsePixelQuery(values: string[] | undefined, size: number): Uint8Array {
  const chars = base64UrlLength(size);
  if (!values || values.length === 0) {
    throw new RequestError(
      400,
      `query: missing pixels=<base64url of ${size} bytes (${chars} characters)>`,
    );
  }
  if (values.length > 1)
    throw new RequestError(400, `query: pixels given ${values.length} times, expected once`);
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64Url(values[0]);
  } catch (error) {
    throw new RequestError(400, `pixels: ${(error as Error).message}`);
  }
  if (bytes.length !== size) {
    throw new RequestError(
      400,
      `pixels: expected ${size} bytes (${chars} base64url characters), got ${bytes.length} bytes (${values[0].length} characters)`,
    );
  }
  return bytes;
}

/** The media type of a Content-Type header, lower-cased and without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0].trim().toLowerCase();
}

/**
 * Reads the whole body, refusing (413) as soon as it exceeds `maxBytes`, whatever
 * Content-Length claimed.
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    throw new RequestError(
      413,
      `body too large: Content-Length ${declared} bytes, the limit is ${maxBytes}`,
    );
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new RequestError(
        413,
        `body too large: more than ${maxBytes} bytes, the limit is ${maxBytes}`,
      );
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
