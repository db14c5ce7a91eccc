/** Reads Server-Sent Events from a fetch Response body, for route tests. */
export interface SseMessage {
  id?: string;
  data?: string;
  /** True for a comment-only block (": keep-alive"). */
  comment: boolean;
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";

  constructor(response: Response) {
    if (!response.body) throw new Error("SSE response has no body");
    this.reader = response.body.getReader();
  }

  /** The next message block, or undefined when the stream ended. */
  async next(): Promise<SseMessage | undefined> {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseBlock(block);
      }
      const { done, value } = await this.reader.read();
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The next `n` data messages (skipping comments), parsed as JSON. */
  async take<T>(n: number): Promise<T[]> {
    const out: T[] = [];
    while (out.length < n) {
      const message = await this.next();
      if (!message) throw new Error(`SSE stream ended after ${out.length} of ${n} messages`);
      if (message.data !== undefined) out.push(JSON.parse(message.data) as T);
    }
    return out;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

function parseBlock(block: string): SseMessage {
  const message: SseMessage = { comment: true };
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("data: ")) data.push(line.slice(6));
    else if (line.startsWith("id: ")) message.id = line.slice(4);
  }
  if (data.length > 0) {
    message.data = data.join("\n");
    message.comment = false;
  }
  return message;
}
