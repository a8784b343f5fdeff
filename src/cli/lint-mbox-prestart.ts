import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { prestartRangeWorkers, sampleMessagesPerMiB, worthSplitting } from '../lint/range-threads.js';

/**
 * Two workers lint a header-dense 4 GB archive about twice as fast as one thread on
 * the 2-core machines here, with peak RSS under 128 MB; each further worker adds about
 * 17 MB, hence the cap.
 */
export const defaultJobs = Math.min(availableParallelism(), 4);

/** Options with which lint-mbox reads every file on the main thread, or lints nothing. */
const sequential = ['--group-by', '--extract', '--max-findings', '--list-rules', '-h', '--help'];

/**
 * Called before the command line is loaded (bin/smtpdbg.js): when `argv` runs lint-mbox on
 * a file big enough for worker threads, they start now, while the main thread loads and
 * reads the options (about 40 ms of a 512 MB run). Only a guess from the words: the
 * command decides for itself, and workers it does not take cost one idle start-up each.
 */
export function prestartLintWorkers(argv: readonly string[]): void {
  const args = argv.slice(2);
  const command = args.findIndex((arg) => !arg.startsWith('-'));
  if (command < 0 || args[command] !== 'lint-mbox') return;
  const rest = args.slice(command + 1);
  if (rest.some((arg) => sequential.some((option) => arg === option || arg.startsWith(`${option}=`)))) return;
  const jobsAt = rest.findIndex((arg) => arg === '--jobs' || arg.startsWith('--jobs='));
  const jobs = jobsAt < 0 ? defaultJobs : Number(rest[jobsAt] === '--jobs' ? rest[jobsAt + 1] : rest[jobsAt]!.slice('--jobs='.length));
  if (!Number.isInteger(jobs) || jobs < 2) return;
  const big = rest.some((arg) => {
    if (arg.startsWith('-')) return false;
    try {
      const stats = statSync(arg);
      return stats.isFile() && worthSplitting(stats.size, jobs, () => sampleMessagesPerMiB(arg, stats.size));
    } catch {
      return false;
    }
  });
  if (big) prestartRangeWorkers(jobs);
}
