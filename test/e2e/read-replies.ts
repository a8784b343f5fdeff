import type { RawClient } from '../harness/raw-server.js';

/** The next `n` complete replies on a raw connection, each as its exact text (bounded: 10 s each). */
export async function readReplies(client: RawClient, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await client.readReply(10_000));
  return out;
}
