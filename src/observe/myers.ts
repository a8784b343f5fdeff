/**
 * The shortest edit script between two sequences (E. Myers, "An O(ND) Difference Algorithm
 * and Its Variations", 1986), for the round-trip diff. Sequences are given by length and an
 * equality test on positions, so callers diff bytes or tokens without copying them.
 */

/** A run of the script: `equal` advances both sides, `delete` only a, `insert` only b. */
export interface EditRun {
  op: 'equal' | 'delete' | 'insert';
  /** Start in a (for `insert`: the position in a it stands before). */
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/**
 * The runs that turn a[0..n) into b[0..m), or undefined when more than `maxEdits` edits
 * would be needed (the work grows with n·D, so a caller bounds it and says "too different").
 */
export function diffSequences(n: number, m: number, same: (i: number, j: number) => boolean, maxEdits: number): EditRun[] | undefined {
  // Common prefix and suffix first: most round trips change little, and they cost nothing here.
  let start = 0;
  while (start < n && start < m && same(start, start)) start += 1;
  let endA = n;
  let endB = m;
  while (endA > start && endB > start && same(endA - 1, endB - 1)) {
    endA -= 1;
    endB -= 1;
  }
  const middle = middleScript(start, endA, start, endB, same, maxEdits);
  if (!middle) return undefined;
  const runs: EditRun[] = [];
  if (start > 0) runs.push({ op: 'equal', aStart: 0, aEnd: start, bStart: 0, bEnd: start });
  runs.push(...middle);
  if (endA < n) runs.push({ op: 'equal', aStart: endA, aEnd: n, bStart: endB, bEnd: m });
  return mergeRuns(runs);
}

function middleScript(a0: number, a1: number, b0: number, b1: number, same: (i: number, j: number) => boolean, maxEdits: number): EditRun[] | undefined {
  const n = a1 - a0;
  const m = b1 - b0;
  if (n === 0 && m === 0) return [];
  if (n === 0) return [{ op: 'insert', aStart: a0, aEnd: a0, bStart: b0, bEnd: b1 }];
  if (m === 0) return [{ op: 'delete', aStart: a0, aEnd: a1, bStart: b0, bEnd: b0 }];
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  // v[k] is the furthest x reached on diagonal k = x − y; one copy per D for the way back.
  let v = new Int32Array(2 * max + 3);
  // For the way back, step d keeps only the diagonals it can reach, −d..d: memory grows
  // with D², which the caller's bound on D keeps small.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d += 1) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && same(a0 + x, b0 + y)) {
        x += 1;
        y += 1;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, d, k, a0, b0, n, m);
    }
    v = next;
  }
  return undefined;
}

function backtrack(trace: Int32Array[], dEnd: number, kEnd: number, a0: number, b0: number, n: number, m: number): EditRun[] {
  const runs: EditRun[] = [];
  let x = n;
  let y = m;
  let k = kEnd;
  for (let d = dEnd; d > 0; d -= 1) {
    // trace[d] holds diagonals −d−1..d+1 of the step before d, from index 0.
    const v = trace[d]!;
    const at = (diagonal: number) => v[diagonal + d + 1]!;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    // The snake after the edit: equal items.
    const startX = down ? prevX : prevX + 1;
    const startY = down ? prevY + 1 : prevY;
    if (x > startX) runs.push({ op: 'equal', aStart: a0 + startX, aEnd: a0 + x, bStart: b0 + startY, bEnd: b0 + y });
    if (down) runs.push({ op: 'insert', aStart: a0 + prevX, aEnd: a0 + prevX, bStart: b0 + prevY, bEnd: b0 + prevY + 1 });
    else runs.push({ op: 'delete', aStart: a0 + prevX, aEnd: a0 + prevX + 1, bStart: b0 + prevY, bEnd: b0 + prevY });
    x = prevX;
    y = prevY;
    k = prevK;
  }
  if (x > 0) runs.push({ op: 'equal', aStart: a0, aEnd: a0 + x, bStart: b0, bEnd: b0 + y });
  return runs.reverse();
}

/** Adjacent runs of the same kind become one. */
function mergeRuns(runs: EditRun[]): EditRun[] {
  const out: EditRun[] = [];
  for (const run of runs) {
    const prev = out[out.length - 1];
    if (prev && prev.op === run.op && prev.aEnd === run.aStart && prev.bEnd === run.bStart) {
      prev.aEnd = run.aEnd;
      prev.bEnd = run.bEnd;
    } else if (run.aEnd > run.aStart || run.bEnd > run.bStart) out.push({ ...run });
  }
  return out;
}
