import { createHash, timingSafeEqual } from "node:crypto";

/** Compares run tokens in constant time (hashing first makes the lengths equal). */
export function timingSafeEqualText(a: string, b: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}
