import { randomBytes } from 'node:crypto';
import { SmtpdbgError, UsageError } from '../errors.js';
import { findingClasses } from '../inject/classify.js';
import { sendCopies, type CountProgress, type CountResult } from '../inject/count.js';
import { composeEntity, parseAttachOption, parseBodyOption, type AttachOption, type BodyOption, type MessageEntity } from '../inject/compose.js';
import { DEFAULT_MAX_SIZE, readDataMessage, readMboxMessage, readWholeFile } from '../inject/input.js';
import { parseAddressOption, parseHeaderOption, smuggledMessage, templateMessage, type MessageLines } from '../inject/message.js';
import { parsePauses } from '../inject/pause.js';
import { misbehaviourFromOptions, type Misbehaviour } from '../session/misbehaviour.js';
import { screenEvents } from '../inject/screen.js';
import { lineTerminators } from '../inject/payload.js';
import {
  closingReply,
  deliveryRefused,
  recipientAccepted,
  recipientOutcomes,
  recipientRefused,
  sendTransaction,
  sendWithRetry,
  type Attempt,
  type InjectPlan,
  type TransactionReport,
  type Variant,
} from '../inject/transaction.js';
import { formatTarget, targetLabel } from '../session/target.js';
import { nonStandardEods, parseEod, type EndOfData } from '../smtp/eod.js';
import { BdatProbeNames, parseChunkSizes, type BdatProbeName, type ChunkPlan } from '../smtp/bdat.js';
import { formatEscaped } from '../smtp/escapes.js';
import type { Reply } from '../smtp/reply.js';
import { parseTerminatorName, type TerminatorName } from '../smtp/terminators.js';
import { EventStream } from '../transcript/events.js';
import { Markers } from '../transcript/text-format.js';
import { TranscriptRecorder } from '../transcript/recorder.js';
import { chalkFor } from '../ui/colors.js';
import {
  formatAttempts,
  formatCount,
  formatCountProgress,
  formatEodSummary,
  formatEodTable,
  formatMatrix,
  formatStored,
  formatTlsLine,
  formatTransaction,
  type StoredMessage,
} from '../ui/inject-report.js';
import { printError, printEvents } from '../ui/line-printer.js';
import { authFromOptions, envelopeFromOptions, extensionsJson, oauthToken, resolveConnection } from './connection-options.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';
import type { InjectCliOptions } from './inject.js';
import { TlsFacts } from './tls-facts.js';
import { readPassword } from './password.js';
import { checkObserveOptions, contentOfPayload, observeExitCode, observeSent, openObservePlan, sentMessage, traceMessage, lfStore, type ObservePlan } from './inject-observe.js';
import type { ObserveSource } from '../observe/mailbox-sources.js';
import { newTraceId } from '../observe/trace.js';
import type { Observation } from '../observe/observe.js';
import { disagreement, formatObservation, formatObservedVariants, observationJson } from '../ui/observe-report.js';

type Mode = 'single' | 'matrix' | 'eod-all' | 'count';

interface Choices {
  mode: Mode;
  term: TerminatorName;
  eod: EndOfData | 'all';
  from: string;
  to: string[];
  /** Where `--observe` reads back what was stored. */
  observeSource: ObserveSource | undefined;
  /** `--body`, `--attach`: the built-in message gets a MIME body built from them. */
  body: BodyOption | undefined;
  attachments: AttachOption[];
  misbehaviour: Misbehaviour | undefined;
  /** `--bdat`: how the message is cut into chunks. */
  bdat?: ChunkPlan;
}

/** Option combinations that cannot mean anything are usage errors (exit 2), before any I/O. */
function choose(options: InjectCliOptions): Choices {
  const given = (flag: unknown) => flag !== undefined && flag !== false;
  if (given(options.data) && given(options.mbox)) throw new UsageError('--data and --mbox exclude each other');
  if (given(options.mbox) !== given(options.index)) throw new UsageError('--mbox and --index go together');
  for (const [flag, value] of [['--body', options.body], ['--attach', options.attach?.length ? options.attach : undefined]] as const) {
    if (value !== undefined && (given(options.data) || given(options.mbox))) throw new UsageError(`${flag} builds the message; not with --data or --mbox, which send one as it is`);
  }
  const body = options.body !== undefined ? parseBodyOption(options.body) : undefined;
  const attachments = (options.attach ?? []).map(parseAttachOption);
  for (const option of ['header', 'addHeader'] as const) {
    const flag = option === 'header' ? '--header' : '--add-header';
    if (options[option]?.length && (given(options.data) || given(options.mbox))) throw new UsageError(`${flag} edits the built-in message; not with --data or --mbox`);
    options[option]?.forEach((value) => parseHeaderOption(value, flag));
  }
  const from = parseAddressOption(options.from, '--from');
  const to = options.to?.length ? options.to.map((value) => parseAddressOption(value, '--to')) : ['postmaster@localhost'];
  const eod = options.eod.toLowerCase() === 'all' ? 'all' : parseEod(options.eod);
  const term = options.term ? parseTerminatorName(options.term, '--term') : 'crlf';
  const exclusive = [options.matrix && '--matrix', eod === 'all' && '--eod all', options.count !== undefined && '--count'].filter(Boolean);
  if (exclusive.length > 1) throw new UsageError(`${exclusive.join(' and ')} exclude each other`);
  if (options.matrix && options.term) throw new UsageError('--matrix sends --term crlf, cr and lf itself; leave --term out');
  if (options.termAfter !== undefined && !options.matrix && term === 'crlf') {
    throw new UsageError('--term-after applies --term to one header line: give --term cr or lf (or --matrix)');
  }
  if (options.smuggle && eod !== 'all' && eod.standard) throw new UsageError('--smuggle needs a non-standard --eod (e.g. --eod lf, or --eod all)');
  if (options.concurrency !== undefined && options.count === undefined) throw new UsageError('--concurrency goes with --count');
  if (options.count !== undefined && eod !== 'all' && !eod.standard) throw new UsageError('--count sends standard transactions; a non-standard --eod is for single sends and --eod all');
  if (options.retry !== undefined && exclusive.length > 0) throw new UsageError(`--retry is for a single send, not ${exclusive[0]}`);
  if (options.pause?.length && options.count !== undefined) throw new UsageError('--pause is for single sends, --matrix and --eod all, not --count');
  // Measured on Postfix 3.7: XFORWARD attributes apply to the next transaction only, and --count sends several per connection.
  if (options.xforward?.length && options.count !== undefined) throw new UsageError('--xforward is for single sends, --matrix and --eod all, not --count: Postfix forgets XFORWARD attributes after each transaction');
  const bdat = chunkPlan(options, eod);
  if (options.lmtp && (eod === 'all' || !eod.standard)) throw new UsageError('--lmtp sends standard transactions; a non-standard --eod is for SMTP servers');
  const mode: Mode = options.matrix ? 'matrix' : eod === 'all' ? 'eod-all' : options.count !== undefined ? 'count' : 'single';
  const observeSource = checkObserveOptions(options, { count: mode === 'count' });
  if (options.expect === 'no-smuggling' && !options.smuggle && mode !== 'eod-all') throw new UsageError('--expect no-smuggling goes with --smuggle or --eod all');
  const misbehaviour = chooseMisbehaviour(options, mode);
  const dataStages = ['data-start', 'mid-data'] as const;
  const dataStage = dataStages.find((stage) => misbehaviour?.closeAfter === stage || misbehaviour?.stalls.has(stage));
  if (bdat && dataStage) throw new UsageError(`--bdat sends no DATA: the ${dataStage} stage of --close-after/--stall-after is for DATA`);
  return { mode, term, eod, from, to, observeSource, body, attachments, misbehaviour, ...(bdat ? { bdat } : {}) };
}

/** `--close-after`, `--stall-after`, `--tls-abort`: for one connection of a single send, with nothing else to wait for. */
function chooseMisbehaviour(options: InjectCliOptions, mode: Mode): Misbehaviour | undefined {
  const misbehaviour = misbehaviourFromOptions(options);
  if (!misbehaviour) return undefined;
  const { closeAfter, tlsAbort, stalls } = misbehaviour;
  const flags = [closeAfter && '--close-after', stalls.size && '--stall-after', tlsAbort && '--tls-abort'].filter(Boolean);
  if (mode !== 'single') throw new UsageError(`${flags[0]} is for a single send, not --matrix, --eod all or --count`);
  for (const [flag, given] of [['--retry', options.retry !== undefined], ['--smuggle', options.smuggle], ['--observe', options.observe !== undefined]] as const) {
    if (given && (closeAfter || tlsAbort)) throw new UsageError(`${closeAfter ? '--close-after' : '--tls-abort'} ends the conversation on purpose: not with ${flag}`);
  }
  return misbehaviour;
}

const probeShapes: Record<BdatProbeName, string> = {
  'fake-eod': 'BDAT n LAST, the chunk holding .\r\n and MAIL..DATA',
  longer: 'BDAT n LAST, n counting a NOOP line after the message',
  shorter: 'BDAT n LAST, then MAIL..DATA past the n octets',
  'zero-last': 'BDAT n, then BDAT 0 LAST',
  'data-after-bdat': 'BDAT n, then DATA',
};

/** A BDAT probe where the `--eod all` report expects an end of data: its name and what it sends. */
function bdatProbeEod(name: BdatProbeName): EndOfData {
  // A relay that passes BDAT on passes its bytes as they are: every probe reaches the next server.
  return { name: `bdat-${name}`, bytes: Buffer.from(probeShapes[name], 'latin1'), standard: false, producibleThroughRelay: true };
}

/** `--bdat [--chunk-size N | --chunks LIST]`; the end-of-data options mean nothing with it. */
function chunkPlan(options: InjectCliOptions, eod: EndOfData | 'all'): ChunkPlan | undefined {
  if (!options.bdat) {
    if (options.chunkSize !== undefined || options.chunks !== undefined) throw new UsageError(`${options.chunkSize !== undefined ? '--chunk-size' : '--chunks'} goes with --bdat`);
    // RFC 3030 §3: a BINARYMIME message can only go with BDAT.
    if (options.bodyType === 'BINARYMIME') throw new UsageError('--body-type BINARYMIME goes with --bdat (a BINARYMIME message cannot be sent with DATA, RFC 3030 §3)');
    return undefined;
  }
  if (options.chunkSize !== undefined && options.chunks !== undefined) throw new UsageError('--chunk-size and --chunks exclude each other');
  if (eod !== 'all' && !eod.standard) throw new UsageError('--bdat sends no end of data: --eod is for DATA (--eod all with --bdat runs the BDAT probes)');
  if (options.smuggle && eod !== 'all') throw new UsageError('--smuggle needs a non-standard --eod, which --bdat does not send (--eod all with --bdat runs the BDAT probes)');
  if (eod === 'all' && (options.chunkSize !== undefined || options.chunks !== undefined)) throw new UsageError('--eod all with --bdat sends its own chunks: leave out --chunk-size and --chunks');
  if (options.chunkSize !== undefined) return { kind: 'size', size: options.chunkSize };
  if (options.chunks !== undefined) return { kind: 'sizes', sizes: parseChunkSizes(options.chunks) };
  return { kind: 'whole' };
}

/** The message source, read before anything connects so that a bad file costs nothing. */
async function messageSource(options: InjectCliOptions, choices: Choices): Promise<(variant: string) => MessageLines> {
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  if (options.data !== undefined) {
    const fixed = await readDataMessage(options.data, maxSize);
    return () => fixed;
  }
  if (options.mbox !== undefined) {
    const fixed = await readMboxMessage(options.mbox, options.index ?? 1, maxSize);
    return () => fixed;
  }
  const entity = choices.body || choices.attachments.length ? await builtEntity(choices, maxSize) : undefined;
  const date = new Date();
  return (variant) => templateMessage({ from: choices.from, to: choices.to, variant, date, messageId: newMessageId(), headers: options.header ?? [], addHeaders: options.addHeader ?? [] }, entity);
}

/** `--body` and `--attach`: their files read (each within --max-size), the MIME part built once. */
async function builtEntity(choices: Choices, maxSize: number): Promise<MessageEntity> {
  const body = choices.body;
  const bodyBytes = body === undefined
    ? undefined
    : 'text' in body
      ? { bytes: Buffer.from(body.text, 'utf8'), from: 'TEXT' }
      : { bytes: await readWholeFile(body.file, maxSize, '--body @'), from: `@${body.file}` };
  const attachments = [];
  for (const spec of choices.attachments) attachments.push({ ...spec, bytes: await readWholeFile(spec.path, maxSize, '--attach') });
  return composeEntity(bodyBytes, attachments);
}

const newMessageId = () => `${Date.now().toString(36)}.${randomBytes(6).toString('hex')}@smtpdbg.invalid`;

interface InjectOutcome {
  transactions: TransactionReport[];
  attempts: Attempt[];
  count: CountResult | undefined;
}

/**
 * One transaction's exit code: a fake end of data the server ended the message at is a
 * finding (1); a server that ended the conversation (a 421, RFC 5321 §3.8), dropped it or
 * went silent is a failure (3), as in `session`; an error before acceptance has its own
 * code; a refused message or recipient is 1.
 */
function transactionExit(report: TransactionReport): number {
  // --close-after, --tls-abort: the close asked for is the outcome; a stage never reached is a finding.
  if (report.misbehaviour?.carriedOut) return ExitCode.ok;
  if (report.misbehaviour?.notReached) return ExitCode.problems;
  const verdict = report.verdict?.classification;
  if (verdict && findingClasses.has(verdict)) return ExitCode.problems;
  if (verdict === 'dropped' || verdict === 'timeout') return ExitCode.failure;
  if (closingReply(report)) return ExitCode.failure;
  if (report.error && !report.accepted) return exitCodeForError[report.error.code];
  if (!report.accepted || report.recipients.some(recipientRefused) || report.recipients.some(deliveryRefused)) return ExitCode.problems;
  // A reply that answered nothing was reported as it came; the run cannot count as clean.
  if (report.unsolicited > 0) return ExitCode.problems;
  return ExitCode.ok;
}

function exitCodeFor(mode: Mode, outcome: InjectOutcome): number {
  const reports = outcome.transactions;
  switch (mode) {
    case 'count': {
      const result = outcome.count!;
      if (result.completed === 0 && result.errors.length > 0) return ExitCode.failure;
      return result.accepted === result.requested && result.refusedRecipients === 0 ? ExitCode.ok : ExitCode.problems;
    }
    case 'eod-all': {
      if (reports.some((r) => r.verdict && findingClasses.has(r.verdict.classification))) return ExitCode.problems;
      const failed = (r: TransactionReport) => (r.error && !r.finalReply ? exitCodeForError[r.error.code] : undefined);
      return reports.every((r) => failed(r) !== undefined) ? failed(reports[0]!)! : ExitCode.ok;
    }
    case 'matrix':
      return Math.max(...reports.map(transactionExit));
    case 'single': {
      const last = transactionExit(reports[reports.length - 1]!);
      // A conversation closed on purpose (--close-after, --tls-abort) delivers to nobody.
      if (reports[reports.length - 1]!.misbehaviour?.carriedOut) return last;
      // After retries for some recipients, one refused for good in an earlier attempt still counts.
      const undelivered = recipientOutcomes(outcome.attempts).some((r) => !r.delivered);
      return last === ExitCode.ok && undelivered ? ExitCode.problems : last;
    }
  }
}

const replyJson = (r: Pick<Reply, 'code' | 'lines' | 'enhanced'>) => ({ code: r.code, enhanced: r.enhanced ?? null, lines: r.lines });

function transactionJson(report: TransactionReport) {
  return {
    variant: report.variant,
    term: report.term,
    termAfter: report.termAfter ?? null,
    eod: { name: report.eod.name, bytes: formatEscaped(report.eod.bytes), standard: report.eod.standard, producibleThroughRelay: report.eod.producibleThroughRelay },
    source: report.source,
    tls: report.tls ?? null,
    capabilities: report.capabilities,
    replies: report.exchanges.map((e) => ({ command: e.command, ...replyJson(e.reply) })),
    recipients: report.recipients.map((r) => ({
      address: r.address,
      accepted: recipientAccepted(r),
      reply: r.reply ? replyJson(r.reply) : null,
      ...(report.lmtp ? { delivered: r.delivery !== undefined && !deliveryRefused(r), delivery: r.delivery ? replyJson(r.delivery) : null } : {}),
    })),
    lmtp: report.lmtp,
    chunks: report.chunks?.map((c) => ({ command: c.command, octets: c.octets, last: c.last, reply: c.reply ? replyJson(c.reply) : null })) ?? null,
    sent: report.payload !== undefined,
    stoppedAt: report.stoppedAt ?? null,
    finalReply: report.finalReply ? replyJson(report.finalReply) : null,
    accepted: report.accepted,
    queueId: report.queueId ?? null,
    classification: report.verdict?.classification ?? null,
    detail: report.verdict?.detail ?? null,
    afterData: report.verdict?.replies.map((r) => ({ role: r.role, ...replyJson(r.reply) })) ?? null,
    acceptedMessages: report.verdict?.acceptedMessages ?? null,
    smuggledQueueId: report.verdict?.smuggledQueueId ?? null,
    payloadOctets: report.payload?.length ?? null,
    error: report.error ? { code: report.error.code, message: report.error.message } : null,
    misbehaviour: report.misbehaviour ? { done: report.misbehaviour.done, carriedOut: report.misbehaviour.carriedOut, notReached: report.misbehaviour.notReached ?? null } : null,
  };
}

/** `--count` on a terminal: one line on stderr, rewritten a few times a second, gone at the end. */
function showProgress(progress: CountProgress, requested: number, stream: NodeJS.WriteStream): () => void {
  if (!stream.isTTY) return () => undefined;
  const started = performance.now();
  const draw = () => stream.write(`\r\x1b[K${formatCountProgress(progress, requested, performance.now() - started)}`);
  const timer = setInterval(draw, 200);
  draw();
  return () => {
    clearInterval(timer);
    stream.write('\r\x1b[K');
  };
}

export async function runInjectCommand(targetText: string | undefined, options: InjectCliOptions): Promise<number> {
  const choices = choose(options);
  const auth = authFromOptions(options);
  const extensions = envelopeFromOptions(options, choices.from, choices.to);
  const token = oauthToken();
  const pauses = parsePauses(options.pause ?? []);
  const cmdTerm = parseTerminatorName(options.cmdTerm, '--cmd-term');
  const untraced = await messageSource(options, choices);
  // --observe: each variant carries its own trace id, so its stored copies can be told apart.
  const traceIds = new Map<string, string>();
  let currentTrace: string | undefined;
  const traceFor = (variant: string) => {
    let id = traceIds.get(variant);
    if (!id) traceIds.set(variant, (id = newTraceId()));
    return id;
  };
  // The lines each variant last went out with: what its stored copies are compared with.
  const tracedLines = new Map<string, MessageLines>();
  const message = choices.observeSource
    ? (variant: string) => {
        const traced = traceMessage(untraced(variant), (currentTrace = traceFor(variant)), options.traceHeader);
        tracedLines.set(variant, traced);
        return traced;
      }
    : untraced;
  // A --term-after naming a field the message lacks is an input error, found before connecting.
  if (options.termAfter !== undefined) lineTerminators(message('').lines, { term: choices.term, termAfter: options.termAfter });
  const events = new EventStream();

  if (choices.observeSource && targetText === undefined) {
    throw new UsageError('--observe reads back from a real server\'s store: give a target (the embedded server already shows what it stored)');
  }
  // --showcerts, --save-certs, --ocsp: each handshake's chain and stapled OCSP response, shown
  // and checked as session does; several connections (--matrix, --eod all, --count) would
  // print as many chains. Usage is checked before the embedded server starts.
  const tlsFactNames = '--showcerts, --save-certs and --ocsp';
  if (TlsFacts.wanted(options) && choices.mode !== 'single') throw new UsageError(`${tlsFactNames} are for single sends, not --matrix, --eod all or --count`);
  if (TlsFacts.wanted(options) && options.plain) throw new UsageError(`${tlsFactNames} need TLS; they cannot be used with --plain`);
  const { settings, embedded } = await resolveConnection(targetText, options, events);
  const tlsFacts = TlsFacts.wanted(options) ? await TlsFacts.prepare(options, settings, events, { json: options.json ?? false, embedded: embedded !== undefined, plain: false }) : undefined;
  // The store is opened before anything is sent: its snapshot is taken, and an IMAP login
  // that fails costs nothing sent.
  let observePlan: ObservePlan | undefined;
  if (choices.observeSource) {
    const tls = { ...(options.ca ? { ca: options.ca } : {}), ...(options.insecure ? { insecure: true } : {}) };
    observePlan = await openObservePlan(choices.observeSource, options, { ...tls, timeoutMs: settings.timeoutMs });
  }
  const observations = new Map<TransactionReport, Observation>();
  const target = settings.target;
  const stdout = process.stdout;
  const chalk = chalkFor(stdout);
  const print = (lines: string[]) => {
    for (const line of lines) stdout.write(`${line}\n`);
  };
  let exitCode: number = ExitCode.ok;
  const outcome: InjectOutcome = { transactions: [], attempts: [], count: undefined };
  let transcript: TranscriptRecorder | undefined;
  let stopPrinting: (() => void) | undefined;
  let fatal: SmtpdbgError | undefined;
  // Errors the conversation already showed as it happened: the summary does not repeat them.
  const shownErrors = new Set<string>();
  try {
    // Asked once, before any connection: however many connections --count, --matrix,
    // --eod all or --retry open, and without a server's idle timer running meanwhile.
    // No password when the token will do: XOAUTH2 named, or --auth alone with a token given.
    const needsPassword = auth && auth.mechanism !== 'XOAUTH2' && !(auth.mechanism === 'auto' && token() !== undefined);
    const password = needsPassword ? await readPassword(auth.user) : undefined;
    transcript = options.transcript
      ? new TranscriptRecorder(options.transcript, { command: 'inject', target: targetLabel(target) }, events.startedAt).attach(events)
      : undefined;
    if (choices.mode === 'single' && !options.json) {
      const screen = new EventStream(events.startedAt);
      events.subscribe((event) => {
        for (const shown of screenEvents(event)) screen.emit(shown);
      });
      stopPrinting = printEvents(screen, stdout, { timestamps: options.timestamps ?? false });
      events.subscribe((event) => {
        if (event.type === 'error') shownErrors.add(event.message);
        if (event.type === 'close') shownErrors.add(event.reason);
      });
    }
    if (embedded && !options.json) {
      events.emit({ type: 'info', t: 0, tls: false, message: `no target given: sending to the embedded capture server on ${formatTarget(target)}` });
    }
    const plan: InjectPlan = {
      settings,
      opening: {
        ...(auth ? { auth: { ...auth, password: () => (password !== undefined ? Promise.resolve(password) : readPassword(auth.user)), token } } : {}),
        from: choices.from,
        to: choices.to,
        ...extensions,
      },
      cmdTerm,
      dotStuff: options.dotStuff,
      message,
      smuggled: () => {
        const smuggled = smuggledMessage({ from: choices.from, to: choices.to, date: new Date(), messageId: newMessageId() });
        // The smuggled message carries the same trace: a second stored copy is the proof.
        return observePlan && currentTrace ? traceMessage(smuggled, currentTrace, options.traceHeader) : smuggled;
      },
      tagConnections: transcript !== undefined && choices.mode !== 'single',
      ...(pauses.size ? { pauses } : {}),
      ...(options.maxSize !== undefined ? { explicitMaxSize: options.maxSize } : {}),
      ...(choices.misbehaviour ? { misbehaviour: choices.misbehaviour } : {}),
    };
    const base = { term: choices.term, ...(options.termAfter !== undefined ? { termAfter: options.termAfter } : {}), ...(choices.bdat ? { bdat: choices.bdat } : {}) };
    switch (choices.mode) {
      case 'single': {
        const variant: Variant = { ...base, eod: choices.eod as EndOfData, smuggle: options.smuggle ?? false };
        outcome.attempts = await sendWithRetry(plan, variant, options.retry ?? 0, (attempt) => {
          const retry = attempt.retry!;
          const why = retry.asked !== undefined ? `the server asked for ${retry.asked / 1000} s${retry.asked > retry.delayMs ? `, at most ${retry.delayMs / 1000} s are waited` : ''}` : 'backoff';
          events.emit({ type: 'info', t: events.now(), tls: false, message: `attempt ${attempt.attempt} failed (${retry.reason}): reconnecting in ${retry.delayMs} ms (${why})` });
        });
        outcome.transactions = outcome.attempts.map((a) => a.report);
        break;
      }
      case 'matrix':
        for (const [i, term] of (['crlf', 'cr', 'lf'] as const).entries()) {
          outcome.transactions.push(await sendTransaction(plan, { ...base, term, eod: choices.eod as EndOfData, smuggle: options.smuggle ?? false }, i + 1));
        }
        break;
      case 'eod-all': {
        // A second pass with every line ended by LF: some servers (Exim 4.96 after its
        // CVE-2023-51766 fix) apply their check only when the first header line ends in CRLF.
        const terms = [...new Set<TerminatorName>([choices.term, 'lf'])];
        let conn = 0;
        for (const term of terms) {
          if (choices.bdat) {
            // RFC 3030 chunks instead of DATA: what the server makes of sizes and bytes that disagree.
            for (const name of BdatProbeNames) outcome.transactions.push(await sendTransaction(plan, { ...base, term, eod: bdatProbeEod(name), smuggle: true, bdatProbe: name }, ++conn));
          } else {
            for (const eod of nonStandardEods()) outcome.transactions.push(await sendTransaction(plan, { ...base, term, eod, smuggle: true }, ++conn));
          }
        }
        break;
      }
      case 'count': {
        const progress: CountProgress = { completed: 0, accepted: 0 };
        const stopProgress = showProgress(progress, options.count!, process.stderr);
        try {
          outcome.count = await sendCopies(plan, { ...base, eod: choices.eod as EndOfData, smuggle: false }, options.count!, options.concurrency ?? 1, progress);
        } finally {
          stopProgress();
        }
        break;
      }
    }
    exitCode = exitCodeFor(choices.mode, outcome);
    if (observePlan) {
      const observed = choices.mode === 'single' ? outcome.transactions.slice(-1) : outcome.transactions;
      for (const report of observed) {
        // Nothing to look for when the server took no message (every reply a refusal).
        const traced = tracedLines.get(report.variant);
        if (!traced || (!report.accepted && !report.verdict)) continue;
        // A server that did not end the message at a fake end of data took all that followed
        // it as content: that is what its copy is compared with, fake end and all.
        const sent = report.verdict?.classification === 'content' && report.payload
          ? contentOfPayload(report.payload)
          : sentMessage(traced, { term: report.term, ...(report.termAfter !== undefined ? { termAfter: report.termAfter } : {}) }, report.eod);
        observations.set(report, await observeSent(observePlan, sent, traceFor(report.variant)));
      }
      exitCode = Math.max(exitCode, observeExitCode([...observations.values()], options.expect));
      const disagreeing = [...observations].some(([report, observation]) => disagreement({ variant: report.variant, classification: report.verdict?.classification ?? 'accepted', observation }));
      if (disagreeing) exitCode = Math.max(exitCode, ExitCode.problems);
    }
  } catch (caught) {
    if (!(caught instanceof SmtpdbgError)) throw caught;
    fatal = caught;
    exitCode = exitCodeForError[caught.code];
  } finally {
    stopPrinting?.();
    transcript?.close();
    await embedded?.server.close();
    await observePlan?.watch.close();
  }

  const lintMessage = embedded ? (await import('../mbox/index.js')).lintMessage : undefined;
  const stored: StoredMessage[] = (embedded?.server.messages ?? []).map((m) => ({ message: m, findings: lintMessage?.(m.data) }));
  // A certificate the stapled OCSP response says is revoked makes the run exit 1, as in
  // session. A --save-certs file that cannot be written ends the run here, before the
  // report, with the write-error line of every output (exit 2).
  const tlsProblems = tlsFacts?.problems() ?? [];
  for (const problem of tlsProblems) printError(process.stderr, problem);
  if (tlsProblems.length) exitCode = Math.max(exitCode, ExitCode.problems);
  tlsFacts?.saveCertificates();
  if (options.json) {
    const json = {
      command: 'inject',
      target: targetLabel(target),
      embedded: embedded !== undefined,
      mode: choices.mode,
      transactions: outcome.transactions.map(transactionJson),
      attempts: outcome.attempts.map((a) => ({ attempt: a.attempt, accepted: a.report.accepted, retry: a.retry ?? null })),
      recipients: choices.mode === 'single'
        ? recipientOutcomes(outcome.attempts).map((r) => ({ address: r.address, delivered: r.delivered, attempt: r.attempt, reply: r.reply ? replyJson(r.reply) : null, ...(r.delivery ? { delivery: replyJson(r.delivery) } : {}) }))
        : null,
      count: outcome.count ?? null,
      stored: embedded
        ? stored.map(({ message: m, findings }) => ({
          id: m.id,
          from: m.from,
          to: m.to,
          octets: m.data.length,
          data: m.data.toString('latin1'),
          bareCrLines: m.bareCrLines,
          bareLfLines: m.bareLfLines,
          findings: findings ?? [],
        }))
        : null,
      observed: observePlan
        ? outcome.transactions.filter((r) => observations.has(r)).map((r) => {
          const observation = observations.get(r)!;
          const against = disagreement({ variant: r.variant, classification: r.verdict?.classification ?? 'accepted', observation });
          return { variant: r.variant, ...(observationJson(observation) as object), disagreement: against ?? null };
        })
        : null,
      ...extensionsJson(auth, extensions, outcome.transactions.flatMap((t) => t.exchanges.map((e) => e.command))),
      error: fatal ? { code: fatal.code, message: fatal.message } : null,
      exitCode,
      ...tlsFacts?.json(),
    };
    stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    if (fatal) printError(process.stderr, fatal.message);
    return exitCode;
  }
  switch (choices.mode) {
    case 'single':
      print(formatAttempts(outcome.attempts, chalk));
      if (outcome.transactions.length > 0) {
        const last = outcome.transactions[outcome.transactions.length - 1]!;
        // A conversation ended on purpose is summed up by what was done, not as a failure to send.
        const misbehaved = last.misbehaviour && (last.misbehaviour.carriedOut || last.misbehaviour.notReached) && !last.error && !last.finalReply;
        if (misbehaved) print(last.misbehaviour!.done.map((done) => `${chalk.dim(Markers.info)}${done}`));
        else print(formatTransaction(last, chalk, { shownErrors, attempts: outcome.attempts }));
      }
      break;
    case 'matrix':
      print(formatTlsLine(outcome.transactions, chalk));
      print(formatMatrix(outcome.transactions, chalk));
      break;
    case 'eod-all':
      print(formatTlsLine(outcome.transactions, chalk));
      print(formatEodTable(outcome.transactions, chalk));
      print(formatEodSummary(outcome.transactions, chalk));
      break;
    case 'count':
      if (outcome.count) print(formatCount(outcome.count, chalk));
      break;
  }
  if (embedded) print(formatStored(stored, chalk, { content: choices.mode !== 'eod-all' }));
  if (observePlan && choices.mode === 'eod-all') {
    print(formatObservedVariants([...observations].map(([report, observation]) => ({ variant: report.variant, classification: report.verdict?.classification ?? 'accepted', observation })), chalk));
  } else if (observePlan) {
    for (const [report, observation] of observations) {
      if (observations.size > 1) print([chalk.bold(`${report.variant}:`)]);
      print(formatObservation(observation, chalk, { lfStore: lfStore(observePlan) }));
    }
  }
  if (fatal) printError(process.stderr, fatal.message);
  return exitCode;
}
