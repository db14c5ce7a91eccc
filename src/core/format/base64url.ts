/**
 * base64url (RFC 4648 §5) for the pixel bytes of `GET /predict?pixels=…`. Hand-rolled rather
 * than atob/btoa so decoding is strict (no whitespace, no stray characters) and identical on
 * every runtime.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64Url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 4) / 3));
    for (let k = 0; k < chars; k++) out += ALPHABET[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

/** Characters of unpadded base64url for `bytes` bytes. */
export function base64UrlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** Decodes unpadded (or `=`-padded) base64url; throws a SyntaxError naming the bad position. */
export function decodeBase64Url(text: string): Uint8Array {
  const body = text.replace(/={1,2}$/, "");
  if (body.length % 4 === 1) {
    throw new SyntaxError(`invalid base64url: length ${body.length} cannot encode whole bytes`);
  }
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const v = code < 128 ? VALUES[code] : -1;
    if (v < 0) {
      throw new SyntaxError(
        `invalid base64url: character ${JSON.stringify(body[i])} at position ${i} (allowed: A-Z a-z 0-9 - _)`,
      );
    }
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}
