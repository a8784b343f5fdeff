import { describe, expect, it } from 'vitest';
import { InputHolds } from '../../../src/inbound/input-holds.js';

function recorder() {
  const calls: string[] = [];
  return { calls, io: { pause: () => void calls.push('pause'), resume: () => void calls.push('resume') } };
}

describe('InputHolds', () => {
  it('pauses at the first reason and resumes only when no reason is left', () => {
    const { calls, io } = recorder();
    const holds = new InputHolds<'backlog' | 'replies'>(io);
    holds.set('backlog', true);
    holds.set('replies', true);
    holds.set('backlog', false);
    expect(calls).toEqual(['pause']);
    expect(holds.has('replies')).toBe(true);
    holds.set('replies', false);
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('after release, reads for good: a reason set later no longer pauses', () => {
    const { calls, io } = recorder();
    const holds = new InputHolds<'output'>(io);
    holds.set('output', true);
    holds.release();
    holds.set('output', true);
    expect(calls).toEqual(['pause', 'resume']);
  });
});
