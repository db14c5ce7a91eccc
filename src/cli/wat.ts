/**
 * A small WebAssembly text assembler for the subset the repository's `.wat` kernels use: one
 * imported memory, functions with named params and locals, an export each, and flat (not
 * folded) instructions. It is a build-time tool (`npm run build:wasm`); neither the npm `wabt`
 * nor `binaryen` package is installed here, so the kernel's bytes come from this. Anything
 * outside the subset is an error naming the token, never silently different bytes.
 */

type Sexp = string | Sexp[];

const VALUE_TYPES: Record<string, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

const simd = (op: number): number[] => [0xfd, ...uleb(op)];

/** Instructions without immediates. */
const PLAIN: Record<string, number[]> = {
  "i32.add": [0x6a],
  "i32.sub": [0x6b],
  "i32.mul": [0x6c],
  "i32.and": [0x71],
  "i32.shl": [0x74],
  "i32.lt_u": [0x49],
  "i32.ge_u": [0x4f],
  "f32x4.add": simd(0xe4),
  "f32x4.sub": simd(0xe5),
  "f32x4.mul": simd(0xe6),
  "f32x4.div": simd(0xe7),
  "f32x4.sqrt": simd(0xe3),
  "f32x4.splat": simd(0x13),
  "f64x2.add": simd(0xf0),
  "f64x2.sub": simd(0xf1),
  "f64x2.mul": simd(0xf2),
  "f64x2.div": simd(0xf3),
  "f64x2.sqrt": simd(0xef),
  "f64x2.splat": simd(0x14),
  "f64x2.promote_low_f32x4": simd(0x5f),
  "f32x4.demote_f64x2_zero": simd(0x5e),
};

/** Memory instructions: opcode, natural alignment (log2 bytes), whether a lane index follows. */
const MEMORY: Record<string, { op: number[]; align: number; lane: boolean }> = {
  "v128.load": { op: simd(0x00), align: 4, lane: false },
  "v128.store": { op: simd(0x0b), align: 4, lane: false },
  "v128.load32_zero": { op: simd(0x5c), align: 2, lane: false },
  "v128.load64_zero": { op: simd(0x5d), align: 3, lane: false },
  "v128.store32_lane": { op: simd(0x5a), align: 2, lane: true },
  "v128.store64_lane": { op: simd(0x5b), align: 3, lane: true },
};

const LOCAL_OPS: Record<string, number> = {
  "local.get": 0x20,
  "local.set": 0x21,
  "local.tee": 0x22,
};
const BLOCK_OPS: Record<string, number> = { block: 0x02, loop: 0x03 };
const BRANCH_OPS: Record<string, number> = { br: 0x0c, br_if: 0x0d };

export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function tokenize(text: string): string[] {
  const noComments = text.replace(/;;[^\n]*/g, " ");
  return noComments.match(/"[^"]*"|[()]|[^\s()]+/g) ?? [];
}

function parse(text: string): Sexp {
  const tokens = tokenize(text);
  let at = 0;
  const read = (): Sexp => {
    const token = tokens[at++];
    if (token === undefined) throw new Error("wat: unexpected end of text");
    if (token === ")") throw new Error("wat: unexpected )");
    if (token !== "(") return token;
    const list: Sexp[] = [];
    while (tokens[at] !== ")") list.push(read());
    at++;
    return list;
  };
  const tree = read();
  if (at !== tokens.length) throw new Error(`wat: text after the module: ${tokens[at]}`);
  return tree;
}

const str = (token: Sexp): string => {
  if (typeof token !== "string" || !token.startsWith('"'))
    throw new Error(`wat: expected a string, got ${token}`);
  return token.slice(1, -1);
};

const nat = (token: Sexp | undefined): number => {
  if (typeof token !== "string" || !/^\d+$/.test(token))
    throw new Error(`wat: expected a number, got ${token}`);
  return Number(token);
};

const valueType = (token: Sexp): number => {
  const type = typeof token === "string" ? VALUE_TYPES[token] : undefined;
  if (type === undefined) throw new Error(`wat: unknown value type ${token}`);
  return type;
};

const name = (text: string): number[] => {
  const utf8 = [...new TextEncoder().encode(text)];
  return [...uleb(utf8.length), ...utf8];
};

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

interface Func {
  exportName?: string;
  params: number[];
  results: number[];
  locals: number[];
  body: number[];
}

function assembleFunc(fields: Sexp[]): Func {
  const func: Func = { params: [], results: [], locals: [], body: [] };
  const localIndex = new Map<string, number>();
  let at = 1;
  if (typeof fields[at] === "string" && (fields[at] as string).startsWith("$")) at++;
  for (; Array.isArray(fields[at]); at++) {
    const [kind, ...rest] = fields[at] as Sexp[];
    if (kind === "export") func.exportName = str(rest[0]);
    else if (kind === "result") func.results.push(...rest.map(valueType));
    else if (kind === "param" || kind === "local") {
      const list = kind === "param" ? func.params : func.locals;
      const named = typeof rest[0] === "string" && rest[0].startsWith("$");
      if (named) localIndex.set(rest[0] as string, func.params.length + func.locals.length);
      list.push(...rest.slice(named ? 1 : 0).map(valueType));
      if (kind === "param" && func.locals.length) throw new Error("wat: param after local");
    } else throw new Error(`wat: unknown func field ${kind}`);
  }
  func.body = assembleInstructions(fields.slice(at), localIndex);
  return func;
}

function assembleInstructions(tokens: Sexp[], locals: Map<string, number>): number[] {
  const out: number[] = [];
  const labels: (string | undefined)[] = [];
  const index = (token: Sexp | undefined, names: Map<string, number>): number =>
    typeof token === "string" && names.has(token) ? names.get(token)! : nat(token);
  for (let at = 0; at < tokens.length; at++) {
    const op = tokens[at];
    if (typeof op !== "string") throw new Error("wat: folded instructions are not supported");
    const next = tokens[at + 1];
    if (op in PLAIN) out.push(...PLAIN[op]);
    else if (op in LOCAL_OPS) out.push(LOCAL_OPS[op], ...uleb(index(tokens[++at], locals)));
    else if (op === "i32.const") out.push(0x41, ...sleb(Number(tokens[++at])));
    else if (op === "i8x16.shuffle") {
      const lanes = tokens.slice(at + 1, at + 17).map(nat);
      if (lanes.some((lane) => lane > 31)) throw new Error("wat: shuffle lanes are 0–31");
      out.push(...simd(0x0d), ...lanes);
      at += 16;
    } else if (op in BLOCK_OPS) {
      const label = typeof next === "string" && next.startsWith("$") ? next : undefined;
      if (label) at++;
      labels.push(label);
      out.push(BLOCK_OPS[op], 0x40);
    } else if (op === "end") {
      if (!labels.length) throw new Error("wat: end without block");
      labels.pop();
      out.push(0x0b);
    } else if (op in BRANCH_OPS) {
      const depths = new Map(labels.map((l, i) => [l ?? "", labels.length - 1 - i]));
      depths.delete("");
      out.push(BRANCH_OPS[op], ...uleb(index(tokens[++at], depths)));
    } else if (op in MEMORY) {
      const { op: code, align, lane } = MEMORY[op];
      let offset = 0;
      let alignment = align;
      for (let arg = tokens[at + 1]; typeof arg === "string" && /^(offset|align)=/.test(arg); ) {
        const [key, value] = arg.split("=");
        if (key === "offset") offset = nat(value);
        else alignment = Math.log2(nat(value));
        arg = tokens[++at + 1];
      }
      out.push(...code, ...uleb(alignment), ...uleb(offset));
      if (lane) out.push(nat(tokens[++at]));
    } else throw new Error(`wat: unsupported instruction ${op}`);
  }
  if (labels.length) throw new Error("wat: block without end");
  return [...out, 0x0b];
}

/** Assembles a module of one imported memory and functions; returns its binary. */
export function assembleWat(text: string): Uint8Array<ArrayBuffer> {
  const tree = parse(text);
  if (!Array.isArray(tree) || tree[0] !== "module") throw new Error("wat: expected (module …)");
  const imports: number[][] = [];
  const funcs: Func[] = [];
  for (const field of tree.slice(1)) {
    if (!Array.isArray(field)) throw new Error(`wat: unexpected ${field} in module`);
    if (field[0] === "func") funcs.push(assembleFunc(field));
    else if (field[0] === "import") imports.push(memoryImport(field));
    else throw new Error(`wat: unsupported module field ${field[0]}`);
  }
  const types = funcs.map((f) => [
    0x60,
    ...vec(f.params.map((t) => [t])),
    ...vec(f.results.map((t) => [t])),
  ]);
  const exports = funcs.flatMap((f, i) =>
    f.exportName ? [[...name(f.exportName), 0x00, ...uleb(i)]] : [],
  );
  const codes = funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const body = [...locals, ...f.body];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...(types.length ? section(1, vec(types)) : []),
    ...(imports.length ? section(2, vec(imports)) : []),
    ...(funcs.length ? section(3, vec(funcs.map((_, i) => uleb(i)))) : []),
    ...(exports.length ? section(7, vec(exports)) : []),
    ...(codes.length ? section(10, vec(codes)) : []),
  ]);
}

/** `(import "mod" "name" (memory min max? shared?))`. */
function memoryImport(field: Sexp[]): number[] {
  const [, module, field_, desc] = field;
  if (!Array.isArray(desc) || desc[0] !== "memory")
    throw new Error("wat: only memories are imported");
  const limits = desc.slice(1).filter((t) => t !== "shared");
  const shared = desc.includes("shared");
  const flags = (limits.length > 1 ? 1 : 0) | (shared ? 2 : 0);
  if (shared && limits.length < 2) throw new Error("wat: a shared memory needs a maximum");
  return [
    ...name(str(module)),
    ...name(str(field_)),
    0x02,
    flags,
    ...limits.flatMap((t) => uleb(nat(t))),
  ];
}
