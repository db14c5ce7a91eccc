import * as v from "valibot";
import { defaultMessage, expecting, issuePath, kind, objectMessage, show } from "../validate.ts";
import { KERAS_ADAGRAD } from "./adagrad.ts";
import { KERAS_ADAM, KERAS_ADAMW } from "./adam.ts";
import type { OptimizerName, OptimizerSpec } from "./optimizer.ts";
import { KERAS_RMSPROP } from "./rmsprop.ts";
import { checkSchedule } from "./schedule.ts";
import { KERAS_SGD } from "./sgd.ts";

/** Every optimizer with Keras's defaults (`keras.optimizers.*`), learning rates included. */
export const KERAS_OPTIMIZERS: { readonly [T in OptimizerName]: OptimizerSpec & { type: T } } = {
  rmsprop: { type: "rmsprop", ...KERAS_RMSPROP },
  adam: { type: "adam", ...KERAS_ADAM },
  adamw: { type: "adamw", ...KERAS_ADAMW },
  sgd: { type: "sgd", ...KERAS_SGD },
  adagrad: { type: "adagrad", ...KERAS_ADAGRAD },
};

export const OPTIMIZER_NAMES = Object.keys(KERAS_OPTIMIZERS) as OptimizerName[];

/**
 * A user's optimizer settings that do not make a valid optimizer; `setting` names the one at
 * fault (`beta1`, or `optimizer` for the name), `expected` what it wants, `got` what came.
 */
export class OptimizerSpecError extends RangeError {
  override name = "OptimizerSpecError";
  constructor(
    message: string,
    readonly setting = "optimizer",
    readonly expected = "",
    readonly got: unknown = undefined,
  ) {
    super(message);
  }
}

/** What each rule of a setting wants, as its errors say. */
const WHAT = {
  positive: "a positive number",
  nonNegative: "a number ≥ 0",
  /** A decay rate. */
  rate: "a number in [0, 1)",
  /** SGD's momentum: Keras takes [0, 1]. */
  momentum: "a number in [0, 1]",
  boolean: "true or false",
} as const;
type Rule = keyof typeof WHAT;

type Message = ReturnType<typeof expecting>;
type NumberCheck = (message: Message) => v.PipeAction<number, number, v.BaseIssue<number>>;
/** A finite number passing `checks`; every failure says `expected <WHAT[rule]>, got …`. */
const number = (rule: Rule, ...checks: NumberCheck[]) => {
  const message = expecting(WHAT[rule]);
  return v.pipe(v.number(message), v.finite(message), ...checks.map((check) => check(message)));
};
const RULES: Record<Rule, v.GenericSchema> = {
  positive: number("positive", (m) => v.gtValue(0, m)),
  nonNegative: number("nonNegative", (m) => v.minValue(0, m)),
  rate: number(
    "rate",
    (m) => v.minValue(0, m),
    (m) => v.ltValue(1, m),
  ),
  momentum: number(
    "momentum",
    (m) => v.minValue(0, m),
    (m) => v.maxValue(1, m),
  ),
  boolean: v.boolean(expecting(WHAT.boolean)),
};

/** Each optimizer's settings and their rules (the fields of its OptimizerSpec). */
const FIELDS: { readonly [T in OptimizerName]: Record<string, Rule> } = {
  rmsprop: { learningRate: "positive", rho: "rate", epsilon: "positive" },
  adam: { learningRate: "positive", beta1: "rate", beta2: "rate", epsilon: "positive" },
  adamw: {
    learningRate: "positive",
    beta1: "rate",
    beta2: "rate",
    epsilon: "positive",
    weightDecay: "nonNegative",
  },
  sgd: { learningRate: "positive", momentum: "momentum", nesterov: "boolean" },
  adagrad: {
    learningRate: "positive",
    initialAccumulatorValue: "nonNegative",
    epsilon: "positive",
  },
};

const NAMES_TEXT = OPTIMIZER_NAMES.map((n) => JSON.stringify(n)).join(", ");

const SCHEDULE_WHAT = "a learning-rate schedule {type, …}";
/** Optional on every optimizer: checked by checkSchedule, which says what is wrong. */
const SCHEDULE = v.optional(
  v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        return checkSchedule(dataset.value);
      } catch (error) {
        addIssue({ message: (error as Error).message });
        return NEVER;
      }
    }),
  ),
);

function schemaOf<T extends OptimizerName>(type: T) {
  const fields = Object.entries(FIELDS[type]);
  return v.strictObject(
    {
      type: v.literal(type),
      ...Object.fromEntries(fields.map(([key, rule]) => [key, RULES[rule]])),
      schedule: SCHEDULE,
    },
    objectMessage(`an optimizer object`, {
      ...Object.fromEntries(fields.map(([key, rule]) => [key, WHAT[rule]])),
      schedule: SCHEDULE_WHAT,
    }),
  );
}

/** An OptimizerSpec as plain data (a checkpoint's, a worker's): one of Keras's optimizers. */
export const OptimizerSpecSchema = v.variant(
  "type",
  [schemaOf("rmsprop"), schemaOf("adam"), schemaOf("adamw"), schemaOf("sgd"), schemaOf("adagrad")],
  expecting(`an optimizer object with type ${NAMES_TEXT}`),
) as unknown as v.GenericSchema<unknown, OptimizerSpec>; // built from FIELDS, so typed by hand

/**
 * Checks a complete optimizer spec; the error names the optimizer and the field:
 * `adam.beta1: expected a number in [0, 1), got 1.5`.
 */
export function checkOptimizerSpec(input: unknown): OptimizerSpec {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    const expected = "an object {type, …}";
    throw new OptimizerSpecError(
      `optimizer: expected ${expected}, got ${kind(input)}`,
      "optimizer",
      expected,
      input,
    );
  }
  const type = checkName((input as { type?: unknown }).type);
  const result = v.safeParse(OptimizerSpecSchema, input, {
    abortEarly: true,
    message: defaultMessage,
  });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issuePath(issue);
  const setting = String(issue.path?.at(-1)?.key ?? "optimizer");
  const rule = (FIELDS[type] as Record<string, Rule | undefined>)[setting];
  const settings = Object.keys(FIELDS[type]).join(", ");
  throw new OptimizerSpecError(
    `${type}${path ? `.${path}` : ""}: ${issue.message}`,
    setting,
    rule ? WHAT[rule] : `no ${setting} with optimizer ${type} (it takes ${settings})`,
    issue.input,
  );
}

function checkName(name: unknown): OptimizerName {
  if (OPTIMIZER_NAMES.includes(name as OptimizerName)) return name as OptimizerName;
  const expected = `one of ${NAMES_TEXT}`;
  throw new OptimizerSpecError(
    `optimizer: expected ${expected}, got ${show(name)}`,
    "optimizer",
    expected,
    name,
  );
}

/** An optimizer as a user names it: by name, or as an object with its type and some settings. */
export type OptimizerChoice =
  | OptimizerName
  | ({ readonly type: OptimizerName } & Readonly<Record<string, unknown>>);

/** The settings a caller (train options, CLI flags) may give beside the optimizer's name. */
export interface OptimizerOptions {
  readonly optimizer?: OptimizerChoice;
  readonly learningRate?: number;
  readonly rho?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly weightDecay?: number;
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly initialAccumulatorValue?: number;
}

/** Every optimizer's setting names: what `resolveOptimizer` takes beside the name. */
const SETTINGS = [
  ...new Set(Object.values(FIELDS).flatMap((fields) => Object.keys(fields))),
] as (keyof OptimizerOptions)[];

/**
 * The checked OptimizerSpec for a caller's choice (RMSprop unless named) with Keras's defaults
 * for every setting not given. Settings given beside the name override the object's; one the
 * optimizer does not take is an error (`sgd: unexpected field "beta1"; expected …`).
 */
export function resolveOptimizer(options: OptimizerOptions = {}): OptimizerSpec {
  const choice = options.optimizer ?? "rmsprop";
  const given = typeof choice === "string" ? { type: choice } : choice;
  const type = checkName(given.type);
  const flat = Object.fromEntries(
    SETTINGS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]),
  );
  return checkOptimizerSpec({ ...KERAS_OPTIMIZERS[type], ...given, ...flat });
}
