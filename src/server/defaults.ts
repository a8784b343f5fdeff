import type { ScenarioOptions } from './scenarios/scenario.js';

/**
 * The defaults of `serve`, shared by the capture server and the CLI options. This file
 * imports nothing at run time, so that `serve --help` loads no server code.
 */

export const DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024;
/** RFC 5321 §4.5.3.2.7 asks for at least 5 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** Postfix's default process limit is 100 smtpd processes, hence 100 sessions. */
export const DEFAULT_MAX_CONNECTIONS = 100;
/** Postfix's smtpd_hard_error_limit default. */
export const DEFAULT_MAX_ERRORS = 20;

export const DEFAULT_SCENARIO_OPTIONS: ScenarioOptions = {
  idleMs: 5_000,
  greylistDelayMs: 5_000,
  delayMs: 2_000,
};
