import type { ServerBehaviour } from '../behaviour.js';

/** The knobs of `serve` that scenarios read (each scenario reads the ones it names). */
export interface ScenarioOptions {
  /** idle-421: silence, or time between two commands, after which 421 4.4.2 is sent. */
  idleMs: number;
  /** greylist: how long a new client/sender/recipient triplet keeps getting 451. */
  greylistDelayMs: number;
  /** slow: the pause before every reply. */
  delayMs: number;
}

export { DEFAULT_SCENARIO_OPTIONS } from '../defaults.js';

/** A behaviour and the server settings it needs. */
export interface Scenario {
  behaviour: ServerBehaviour;
  /** Overrides the server's idle timeout (idle-421 shortens it to --idle). */
  idleTimeoutMs?: number;
  /** Speak LMTP (RFC 2033), as `serve --lmtp` does. */
  lmtp?: boolean;
}

export interface BuiltInScenario {
  name: string;
  /** What a client sees, in one line. */
  summary: string;
  /** The real server (or pipeline) it reproduces. */
  imitates: string;
  /** The `serve` options it reads. */
  options: readonly string[];
  create(options: ScenarioOptions): Scenario;
}
