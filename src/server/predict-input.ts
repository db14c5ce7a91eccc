import * as v from "valibot";
import { base64UrlLength, decodeBase64Url } from "../core/format/base64url.ts";
import { at, kind, objectMessage, validate } from "../core/validate.ts";

/**
 * Validation of what clients send to `/predict`. Every problem becomes a RequestError whose
 * message names the field and says what was expected and what arrived, so the route can
 * answer 4xx JSON and never 500 for a client mistake.
 */

export class RequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 413 | 415 | 422 | 503,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/**
 * One input: exactly `size` numbers, in 0..255 for a pixel model, any finite number otherwise,
 * as a Float32Array. valibot checks the shape (an array of the right length); the per-value
 * type and range check is a plain loop inside the schema: a valibot item schema per pixel
 * (`pipe(number(), finite(), minValue(0), maxValue(255))`) made a 784-pixel body about 3× as
 * slow to parse (≈18 µs instead of ≈6 µs per call, JSON.parse included), and the loop also
 * fills the Float32Array in the same pass. Its issues carry a path like valibot's own, so the
 * message is still `pixels[783]: …`.
 */
function inputArraySchema(size: number, pixels: boolean) {
  const what = pixels ? `${size} numbers 0..255` : `${size} numbers`;
  return v.pipe(
    v.custom<unknown[]>(
      Array.isArray,
      (issue) => `expected an array of ${what}, got ${kind(issue.input)}`,
    ),
    v.length(
      size,
      (issue) => `expected ${size} ${pixels ? "pixel " : ""}values, got ${issue.received}`,
    ),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const values = dataset.value;
      const out = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        const x = values[i];
        let problem: string | undefined;
        if (typeof x !== "number")
          problem = `expected a number${pixels ? " 0..255" : ""}, got ${kind(x)}`;
        else if (!Number.isFinite(x)) problem = `expected a finite number, got ${x}`;
        else if (pixels && (x < 0 || x > 255)) problem = `expected a value in 0..255, got ${x}`;
        if (problem !== undefined) {
          addIssue({ message: problem, path: [at(values, i)] });
          return NEVER;
        }
        out[i] = x as number;
      }
      return out;
    }),
  );
}

const BODY =
  'a JSON object {"pixels": [...]}, {"instances": [[...], ...]} or {"rows": [{...}, ...]}';

function predictBodySchema(size: number, maxInstances: number, pixels: boolean) {
  const input = inputArraySchema(size, pixels);
  const many = (what: string) => {
    const expected = `1..${maxInstances} ${what}`;
    return v.pipe(
      v.custom<unknown[]>(
        Array.isArray,
        (issue) => `expected an array of ${expected}, got ${kind(issue.input)}`,
      ),
      v.minLength(1, (issue) => `expected ${expected}, got ${issue.received}`),
      v.maxLength(maxInstances, (issue) => `expected ${expected}, got ${issue.received}`),
    );
  };
  const keys = ["pixels", "instances", "rows"] as const;
  return v.pipe(
    // strictObject alone would take an array for an object with keys "0", "1", …
    v.custom<Record<string, unknown>>(
      (x) => typeof x === "object" && x !== null && !Array.isArray(x),
      (issue) => `expected ${BODY}, got ${kind(issue.input)}`,
    ),
    v.strictObject(
      {
        pixels: v.optional(input),
        instances: v.optional(v.pipe(many(pixels ? "images" : "inputs"), v.array(input))),
        rows: v.optional(
          v.pipe(
            many("row objects"),
            v.array(
              v.custom<Record<string, unknown>>(
                (x) => typeof x === "object" && x !== null && !Array.isArray(x),
                (issue) => `expected a row object {"column": value, ...}, got ${kind(issue.input)}`,
              ),
            ),
          ),
        ),
      },
      objectMessage(BODY, { pixels: "", instances: "", rows: "" }),
    ),
    v.check(
      (body) => keys.filter((key) => body[key] !== undefined).length === 1,
      (issue) => {
        const given = keys.filter(
          (key) => (issue.input as Record<string, unknown>)[key] !== undefined,
        );
        return `expected exactly one of "pixels", "instances" or "rows", got ${given.length ? given.map((k) => `"${k}"`).join(" and ") : "none"}`;
      },
    ),
  );
}

type PredictBodySchema = ReturnType<typeof predictBodySchema>;
const bodySchemas = new Map<string, PredictBodySchema>();

function requestFail(text: string): never {
  throw new RequestError(400, text);
}

/** One image: exactly `size` finite numbers in 0..255. */
export function parsePixelArray(
  value: unknown,
  size: number,
  field: string,
): Uint8Array | Float32Array {
  return validate(inputArraySchema(size, true), value, requestFail, field);
}

export type PredictBody =
  | { readonly kind: "single"; readonly pixels: ArrayLike<number> }
  | { readonly kind: "batch"; readonly instances: ArrayLike<number>[] }
  | { readonly kind: "rows"; readonly rows: Record<string, unknown>[] };

/**
 * Parses the JSON body `{"pixels":[…]}`, `{"instances":[[…],…]}` (inputs of `size` values,
 * in 0..255 when `pixels`) or `{"rows":[{…},…]}` (raw table rows, checked by the model's
 * preprocessing).
 */
export function parsePredictJson(
  text: string,
  inputShape: number | readonly number[],
  maxInstances: number,
  pixels = true,
): PredictBody {
  const shape = typeof inputShape === "number" ? [inputShape] : inputShape;
  const size = shape.reduce((a, b) => a * b, 1);
  if (text.trim() === "")
    throw new RequestError(400, 'empty body: expected JSON {"pixels": [...]}');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, `malformed JSON: ${(error as Error).message}`);
  }
  const key = `${size}/${maxInstances}/${pixels}`;
  let schema = bodySchemas.get(key);
  if (!schema) {
    schema = predictBodySchema(size, maxInstances, pixels);
    bodySchemas.set(key, schema);
  }
  if (shape.length > 1) flattenInstances(json, shape);
  const body = validate(schema, json, requestFail, "body");
  if (body.pixels) return { kind: "single", pixels: body.pixels };
  if (body.rows) return { kind: "rows", rows: body.rows };
  return { kind: "batch", instances: body.instances! };
}

/**
 * Instances given nested in the input shape (`[[[0, 0.5], …], …]` for [28, 28]) are flattened
 * in place, each level's length checked; flat instances are left as they are.
 */
function flattenInstances(json: unknown, shape: readonly number[]): void {
  const body = json as { instances?: unknown };
  if (typeof json !== "object" || json === null || !Array.isArray(body.instances)) return;
  body.instances = body.instances.map((instance, i) =>
    Array.isArray(instance) && Array.isArray(instance[0])
      ? flattenNested(instance, shape, 0, `body.instances[${i}]`)
      : instance,
  );
}

function flattenNested(
  value: unknown,
  shape: readonly number[],
  depth: number,
  path: string,
): unknown[] {
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    throw new RequestError(
      400,
      `${path}: expected an array of ${shape[depth]} (the input shape is [${shape.join(", ")}]), got ${Array.isArray(value) ? `${value.length} values` : kind(value)}`,
    );
  }
  if (depth === shape.length - 1) return value;
  return value.flatMap((item, i) => flattenNested(item, shape, depth + 1, `${path}[${i}]`));
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
