import { existsSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { authFailClose } from './auth-fail-close.js';
import { bareLfNormalize, bareLfReject } from './bare-lf.js';
import { bdatReject, chunkingStrict } from './chunking.js';
import { crMerge } from './cr-merge.js';
import { ehloClose, tlsAbort } from './disconnects.js';
import { greylist } from './greylist.js';
import { idle421 } from './idle-421.js';
import { lmtpPartial } from './lmtp-partial.js';
import { pipeliningStrict } from './pipelining-strict.js';
import type { BuiltInScenario, Scenario, ScenarioOptions } from './scenario.js';
import { readScenarioFile } from './scenario-file.js';
import { slow } from './slow.js';
import { xclient } from './xclient.js';

/** Every built-in scenario, in the order `serve --list-scenarios` shows them. */
export const builtInScenarios: readonly BuiltInScenario[] = [
  authFailClose,
  idle421,
  greylist,
  ehloClose,
  tlsAbort,
  bareLfReject,
  bareLfNormalize,
  crMerge,
  slow,
  pipeliningStrict,
  chunkingStrict,
  bdatReject,
  xclient,
  lmtpPartial,
];

export function findScenario(name: string): BuiltInScenario | undefined {
  return builtInScenarios.find((s) => s.name === name);
}

/** `--scenario NAME|FILE`: a built-in name, else a scenario file. */
export function resolveScenario(value: string, options: ScenarioOptions): Scenario {
  const builtIn = findScenario(value);
  if (builtIn) return builtIn.create(options);
  if (!existsSync(value)) {
    throw new UsageError(`--scenario ${value}: neither a built-in scenario (${builtInScenarios.map((s) => s.name).join(', ')}) nor an existing file`);
  }
  return readScenarioFile(value);
}
