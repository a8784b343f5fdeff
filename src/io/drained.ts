import type { Writable } from 'node:stream';

/**
 * Resolves once `stream` has handed what it queued to the system ('drain'), or has closed or
 * failed: whoever waits for a slow reader never waits on a dead stream.
 */
export function drained(stream: Pick<Writable, 'writableNeedDrain' | 'destroyed' | 'on' | 'off'>): Promise<void> {
  if (stream.destroyed || !stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
