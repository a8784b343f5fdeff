import { describe, expect, it, vi } from 'vitest';
import { describeSystemError, onOutputFailure, outputFailed, outputFailure, STANDARD_OUTPUT } from '../../../src/io/output-failure.js';

const systemError = (code: string, errno: number, message: string) => Object.assign(new Error(message), { code, errno, syscall: 'write' });

describe('describeSystemError', () => {
  it.each([
    [systemError('ENOSPC', -28, 'ENOSPC: no space left on device, write'), 'ENOSPC (no space left on device)'],
    [systemError('EFBIG', -27, 'EFBIG: file too large, write'), 'EFBIG (file too large)'],
    [systemError('EIO', -5, 'EIO: i/o error, write'), 'EIO (i/o error)'],
    // Without an errno the words come from the message as libuv wrote it.
    [Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES' }), 'EACCES (permission denied)'],
  ])('%s → %s', (error, text) => {
    expect(describeSystemError(error)).toBe(text);
  });
});

describe('outputFailed', () => {
  it('keeps the first failure only and tells every listener once', async () => {
    // A fresh module: the record is process-wide.
    vi.resetModules();
    const io = await import('../../../src/io/output-failure.js');
    const seen: string[] = [];
    io.onOutputFailure((failure) => seen.push(failure.error?.message ?? 'quiet'));
    io.outputFailed('/tmp/t.jsonl', systemError('EFBIG', -27, 'EFBIG: file too large, write'));
    io.outputFailed(io.STANDARD_OUTPUT, systemError('ENOSPC', -28, 'ENOSPC: no space left on device, write'));
    expect(seen).toEqual(['cannot write /tmp/t.jsonl: EFBIG (file too large)']);
    expect(io.outputFailure()?.error).toMatchObject({ code: 'EOUTPUT', target: '/tmp/t.jsonl' });
  });

  it('takes EPIPE on standard output as a reader that has had enough, not as an error', () => {
    outputFailed(STANDARD_OUTPUT, systemError('EPIPE', -32, 'EPIPE: broken pipe, write'));
    expect(outputFailure()).toEqual({ error: undefined });
    let told = false;
    onOutputFailure(() => (told = true));
    expect(told).toBe(true);
  });
});
