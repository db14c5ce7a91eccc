/**
 * The free text of events (notices, reasons, paths, participant labels) comes partly from
 * whoever reaches the run's port: a `hello` may carry megabytes of escape sequences. Before an
 * event is stored, sent to a browser or printed, its text is made inert and short.
 */
import type { DashboardEvent } from "./events.ts";

/** Longest free text kept from one field, in UTF-16 code units. */
export const MAX_EVENT_TEXT = 500;

// C0 and C1 controls and DEL (terminal escapes, line breaks) and the bidirectional overrides
// and isolates (text that displays in another order than it reads).
const UNSAFE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]+/gu;

/** `text` with control characters as one U+FFFD per run, cut to `max` with a note of the rest. */
export function cleanText(text: string, max = MAX_EVENT_TEXT): string {
  // Cut before replacing so a huge string is scanned only as far as it is kept.
  let kept = text.length > max ? text.slice(0, max) : text;
  // Never half a surrogate pair at the cut.
  if (kept.length < text.length && /[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1);
  const clean = kept.replace(UNSAFE, "\ufffd");
  return kept.length < text.length
    ? `${clean}… (${text.length - kept.length} more characters)`
    : clean;
}

/** `event` with every free-text field cleaned (the same object when it has none). */
export function cleanEvent<E extends DashboardEvent>(event: E): E {
  const e: DashboardEvent = event;
  switch (e.type) {
    case "participant":
      return { ...e, message: cleanText(e.message) } as E;
    case "recovered":
      return { ...e, reason: cleanText(e.reason) } as E;
    case "checkpoint":
    case "saved":
      return { ...e, dir: cleanText(e.dir) } as E;
    case "dashboard":
      return { ...e, url: cleanText(e.url) } as E;
    case "listening":
      return { ...e, joinUrl: cleanText(e.joinUrl), token: cleanText(e.token) } as E;
    case "participants":
      return {
        ...e,
        participants: e.participants.map((p) => ({ ...p, label: cleanText(p.label) })),
      } as E;
    case "settings":
      return {
        ...e,
        data: cleanText(e.data),
        layers: e.layers.map((layer) => ({ ...layer, name: cleanText(layer.name) })),
      } as E;
    case "end":
      return (e.message === undefined ? e : { ...e, message: cleanText(e.message) }) as E;
    default:
      return event;
  }
}
