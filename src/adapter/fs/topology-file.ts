import type { ModelSpec } from "../../core/model/sequential.ts";
import { parseTopology } from "../../core/model/topology.ts";
import { readRequired } from "./files.ts";

/**
 * Reads a tfjs Layers topology file (what tfjs `model.toJSON()` writes, or a whole
 * model.json) into a checked model spec; errors name the file, the layer and the field.
 */
export async function loadTopologyFile(path: string): Promise<ModelSpec> {
  const bytes = await readRequired(path, "model topology (tfjs Layers JSON)");
  return parseTopology(new TextDecoder().decode(bytes), path);
}
