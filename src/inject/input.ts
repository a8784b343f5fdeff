import { open } from 'node:fs/promises';
import { fileError, InputError } from '../errors.js';
import type { Variant } from '../mbox/types.js';
import { messageFromData, type MessageLines } from './message.js';

/** `--max-size` when not given: the largest message inject reads. */
export const DEFAULT_MAX_SIZE = 100 * 1024 * 1024;

const CHUNK = 256 * 1024;

/**
 * The chunks of a file, or of stdin for "-", as they are read: whatever the file is (a
 * pipe, a device such as /dev/zero, a regular file), nothing is read ahead of the caller,
 * and stopping early closes it.
 */
async function* chunksOf(path: string): AsyncGenerator<Buffer> {
  if (path === '-') {
    try {
      for await (const chunk of process.stdin) yield chunk as Buffer;
    } finally {
      process.stdin.destroy();
    }
    return;
  }
  const handle = await open(path, 'r');
  try {
    for (;;) {
      const buffer = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

const shown = (path: string) => (path === '-' ? 'stdin' : path);

/** Runs `read` over the file's chunks; a failed read is the one-line input error naming it. */
async function readChunks<T>(path: string, read: (chunks: AsyncGenerator<Buffer>) => Promise<T>): Promise<T> {
  try {
    return await read(chunksOf(path));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw fileError(shown(path), 'read', error);
  }
}

/**
 * A whole file (stdin for "-"), refused as soon as it passes `maxOctets`; `option` ("--data",
 * "--body @", "--attach") and `what` name it in the errors.
 */
export function readWholeFile(path: string, maxOctets: number, option: string, what = 'the file'): Promise<Buffer> {
  return readChunks(path, async (chunks) => {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of chunks) {
      total += chunk.length;
      if (total > maxOctets) {
        throw new InputError(`${option}${option.endsWith('@') ? '' : ' '}${shown(path)}: ${what} is larger than ${maxOctets} octets (--max-size): refused before reading further`);
      }
      parts.push(chunk);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  });
}

/** `--data FILE|-`: the whole file, refused as soon as it passes `maxOctets`. */
export async function readDataMessage(path: string, maxOctets: number): Promise<MessageLines> {
  return messageFromData(await readWholeFile(path, maxOctets, '--data', 'the message'), shown(path));
}

/** `--mbox FILE --index N`: read until message N is complete, no further. */
export async function readMboxMessage(path: string, index: number, maxOctets: number): Promise<MessageLines & { variant: Variant }> {
  // Loaded only here: splitting an mbox pulls in the mbox scanner, which no other send needs.
  const { MboxMessagePicker } = await import('./mbox-message.js');
  return readChunks(path, async (chunks) => {
    const picker = new MboxMessagePicker(shown(path), index, maxOctets);
    for await (const chunk of chunks) {
      if (picker.push(chunk)) break;
    }
    return picker.end();
  });
}
