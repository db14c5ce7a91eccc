import { join } from "node:path";
import {
  CHECKPOINT_FILE,
  type CheckpointState,
  decodeCheckpoint,
  encodeCheckpoint,
  type ResumeExpectations,
  STATE_FILE,
} from "../../core/format/checkpoint.ts";
import { readIfExists, readRequired, writeFilesAtomically } from "./files.ts";

export async function saveCheckpoint(dir: string, state: CheckpointState): Promise<void> {
  const encoded = encodeCheckpoint(state);
  // state.bin is renamed into place before checkpoint.json, which names its checksum.
  await writeFilesAtomically(dir, { [STATE_FILE]: encoded.state, [CHECKPOINT_FILE]: encoded.json });
}

/** Loads and validates the checkpoint in `dir`; `undefined` when the directory has none. */
export async function loadCheckpoint(
  dir: string,
  expect: ResumeExpectations,
): Promise<CheckpointState | undefined> {
  const files = { json: join(dir, CHECKPOINT_FILE), state: join(dir, STATE_FILE) };
  const json = await readIfExists(files.json, "checkpoint description");
  if (!json) return undefined;
  const state = await readRequired(files.state, "checkpoint's weights and optimizer state");
  return decodeCheckpoint(new TextDecoder().decode(json), state, expect, files);
}
