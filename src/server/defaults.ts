import type { ScenarioOptions } from './scenarios/scenario.js';

/**
 * The defaults of `serve`, shared by the capture server and the CLI options. This file
 * imports nothing at run time, so that `serve --help` loads no server code.
 */

export const DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024;
/** RFC 5321 §4.5.3.2.7 asks for at least 5 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/**
 * A command line must be complete this long after it began. Clients send a command in one
 * write and a person at a terminal sends it when Enter is pressed; only a client dripping
 * its bytes (slow-loris) needs more than a fraction of this. Postfix's smtpd_timeout limits
 * each read, which a drip resets; its smtpd_per_request_deadline (3.7, on under stress) limits
 * the whole request, as this does.
 */
export const DEFAULT_LINE_TIMEOUT_MS = 60_000;
/**
 * DATA starts with this much time, uses it up as time passes and gets a second back per
 * DEFAULT_DATA_MIN_RATE octets received (never more than this ahead): time for a person to
 * type a short message, and no limit at all for a client sending at 1 KiB/s or faster,
 * however large its message. Postfix 3.7 does the same under stress (smtpd_min_data_rate,
 * 500 octets/s, with smtpd_per_request_deadline).
 */
export const DEFAULT_DATA_TIMEOUT_MS = 300_000;
export const DEFAULT_DATA_MIN_RATE = 1024;
/** Postfix's default process limit is 100 smtpd processes, hence 100 sessions. */
export const DEFAULT_MAX_CONNECTIONS = 100;
/** RFC 5321 §4.5.3.1.8 asks for at least 100 recipients; more than this is refused (452). */
export const MAX_RECIPIENTS = 1000;
/** Postfix's smtpd_hard_error_limit default. */
export const DEFAULT_MAX_ERRORS = 20;

export const DEFAULT_SCENARIO_OPTIONS: ScenarioOptions = {
  idleMs: 5_000,
  greylistDelayMs: 5_000,
  delayMs: 2_000,
};
