/**
 * Whether this run is CI: CI set to any non-empty value but "false" or "0". In CI the
 * tests that need real peers (swaks, Postfix) fail instead of skipping.
 */
export const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);
