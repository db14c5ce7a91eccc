import * as v from "valibot";

/**
 * Structural validation with valibot, and the one place that turns a valibot issue into the
 * text shardfit's errors carry: `<path>: expected <what>, got <what arrived>`, where the path
 * is written the way the data is read (`pixels[783]`,
 * `modelTopology.config.layers[0].config.activation`). Schemas with a clearer wording pass
 * their own `message` (it replaces the part after the path); every other issue gets
 * {@link defaultMessage}. Runtime-free: valibot is plain JS and runs on Bun, Deno, workerd and
 * browsers.
 */

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

/** What kind of value arrived: `null`, `an array of 3`, `an object`, `string "abc"`, `number 0`. */
export function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === "object" ? "an object" : `${typeof value} ${show(value)}`;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Issue path keys → `a.b[3].c`; `""` at the root. */
export function pathText(keys: readonly unknown[]): string {
  let out = "";
  for (const key of keys) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && IDENTIFIER.test(key)) out += out ? `.${key}` : key;
    else out += `[${show(key)}]`;
  }
  return out;
}

/** An object key that is there but should not be (strict objects). */
function isUnknownKey(issue: v.BaseIssue<unknown>): boolean {
  return issue.path?.at(-1)?.origin === "key" && issue.expected === "never";
}

/** An object key that should be there but is not. */
function isMissingKey(issue: v.BaseIssue<unknown>): boolean {
  return issue.path?.at(-1)?.origin === "key" && issue.expected !== "never";
}

/** Where the issue is. An unknown key is reported at its object, the message names it. */
export function issuePath(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((item) => item.key);
  return pathText(isUnknownKey(issue) ? keys.slice(0, -1) : keys);
}

/** valibot's names for types (`Array`, `number`) as prose. */
const TYPE_NAMES: Record<string, string> = {
  Array: "an array",
  Object: "an object",
  number: "a number",
  string: "a string",
  boolean: "a boolean",
};

/** The text for issues whose schema has no message of its own. */
export function defaultMessage(issue: v.BaseIssue<unknown>): string {
  if (isUnknownKey(issue)) return `unexpected field ${show(issue.input)}`;
  if (isMissingKey(issue)) return "expected a value, got nothing (the field is missing)";
  const expected = issue.expected ?? issue.type;
  return `expected ${TYPE_NAMES[expected] ?? expected}, got ${show(issue.input)}`;
}

/**
 * A message for object schemas: `expected <what>, got …` for a non-object, `expected
 * <fields[key]>, got nothing` for a missing field, and for an unknown field (strict objects)
 * `unexpected field "x"; expected "a" or "b"`.
 */
export function objectMessage(
  what: string,
  fields: Record<string, string> = {},
): (issue: v.BaseIssue<unknown>) => string {
  const names = Object.keys(fields).map((k) => JSON.stringify(k));
  return (issue) => {
    if (isUnknownKey(issue)) {
      const hint = names.length > 0 ? `; expected ${names.join(" or ")}` : "";
      return `unexpected field ${show(issue.input)}${hint}`;
    }
    if (isMissingKey(issue)) {
      const key = issue.path!.at(-1)!.key as string;
      return `expected ${fields[key] ?? "a value"}, got nothing (the field is missing)`;
    }
    return `expected ${what}, got ${kind(issue.input)}`;
  };
}

/** A schema message `expected <what>, got <the value>`, for wordings valibot has no name for. */
export function expecting(what: string): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => `expected ${what}, got ${show(issue.input)}`;
}

/**
 * `<path>: <message>`. `root` names the whole input: it stands alone for an issue about the
 * input itself (`body: …`) and prefixes an index path (`instances[0]` + `[783]`); a field
 * path is already unambiguous (`pixels[783]`, not `body.pixels[783]`).
 */
export function issueText(issue: v.BaseIssue<unknown>, root = ""): string {
  const path = issuePath(issue);
  const where = path === "" ? root : path.startsWith("[") ? root + path : path;
  return where ? `${where}: ${issue.message}` : issue.message;
}

/**
 * A path item for issues raised by hand-written checks inside a schema (`rawCheck`,
 * `rawTransform`), so they are located like valibot's own: `at(array, 3)`, `at(object, "x")`.
 */
export function at(input: unknown, key: string | number): v.IssuePathItem {
  return typeof key === "number"
    ? {
        type: "array",
        origin: "value",
        input: input as unknown[],
        key,
        value: (input as unknown[])[key],
      }
    : {
        type: "object",
        origin: "value",
        input: input as Record<string, unknown>,
        key,
        value: (input as Record<string, unknown>)[key],
      };
}

const CONFIG = { abortEarly: true, message: defaultMessage } as const;

/**
 * Validates `input` against `schema` and returns its output, or calls `fail` with the first
 * issue as text (`fail` throws the caller's own error class: RequestError, ModelFormatError…).
 */
export function validate<const TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
  fail: (text: string) => never,
  root = "",
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, input, CONFIG);
  if (result.success) return result.output;
  return fail(issueText(result.issues[0], root));
}
