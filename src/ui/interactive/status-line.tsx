import type { ChalkInstance } from 'chalk';
import { Text, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { colourForReply } from '../colors.js';
import type { Phase, StatusInfo } from './controller.js';
import { layoutStatus, statusSeparator, type StatusField, type StatusPart } from './status-layout.js';

/** What the session is doing, in a long form and the short form a narrow terminal gets. */
const phaseWords: Record<Phase, readonly [string, string]> = {
  connecting: ['connecting…', 'connecting…'],
  opening: ['opening…', 'opening…'],
  ready: ['ready', 'ready'],
  busy: ['waiting for the reply…', 'waiting…'],
  quitting: ['sending QUIT… (Ctrl-C again closes at once)', 'quitting…'],
  ended: ['session ended', 'ended'],
};

function describePhase(phase: Phase, inData: boolean, asking: boolean, exitCode: number | undefined): readonly [string, string] {
  if (phase === 'ended' && exitCode !== undefined) return [`session ended (exit ${exitCode})`, `exit ${exitCode}`];
  if (asking) return ['type the password (not shown)', 'password'];
  if (inData && phase === 'ready') return ['DATA: end with a line holding only "."', 'DATA'];
  return phaseWords[phase];
}

/** host:port │ TLS and cipher (or plain) │ verification │ last reply │ terminator │ what is going on. */
export interface StatusLineProps {
  status: StatusInfo;
  phase: Phase;
  queued: number;
  exitCode: number | undefined;
  /** The password prompt is up. */
  asking: boolean;
  chalk: ChalkInstance;
}

/** The status line's fields; a form's rank says how early it gives way (see layoutStatus). */
export function statusFields({ status, phase, queued, exitCode, asking }: Omit<StatusLineProps, 'chalk'>): StatusField[] {
  const tls = status.tls;
  const fields: StatusField[] = [{ key: 'target', forms: [{ parts: [{ text: status.target, tone: 'strong' }], rank: 3 }] }];
  if (tls) {
    const protocol = tls.protocol ?? 'TLS';
    fields.push({
      key: 'tls',
      forms: [
        // The cipher's name is the first thing to go; the protocol stays longer.
        { parts: [{ text: `${protocol} ${tls.cipher ?? ''}`.trim(), tone: 'good' }], rank: 6 },
        { parts: [{ text: protocol, tone: 'good' }], rank: 2 },
      ],
    });
    fields.push(
      tls.verified
        ? { key: 'verify', required: true, forms: [{ parts: [{ text: 'verify ok', tone: 'good' }], rank: 1 }] }
        : {
            key: 'verify',
            required: true,
            forms: [
              { parts: [{ text: `verify FAILED: ${tls.verifyError ?? 'unknown reason'}`, tone: 'alarm' }], rank: 2 },
              { parts: [{ text: 'verify FAILED', tone: 'alarm' }], rank: 0 },
            ],
          },
    );
  } else {
    fields.push({ key: 'tls', forms: [{ parts: [{ text: 'plain', tone: 'caution' }], rank: 2 }] });
  }
  const code: StatusPart = status.lastReply !== undefined ? { text: String(status.lastReply), tone: 'reply' } : { text: '—', tone: 'dim' };
  fields.push({ key: 'last', required: true, forms: [{ parts: [{ text: 'last ', tone: 'plain' }, code], rank: 4 }, { parts: [code], rank: 1 }] });
  // Anything but CRLF is unusual on purpose, so it stands out (RFC 5321 §2.3.8).
  const crlf = status.terminator === 'crlf';
  const term: StatusPart = crlf ? { text: 'CRLF', tone: 'dim' } : { text: status.terminator.toUpperCase(), tone: 'alarm' };
  fields.push({ key: 'term', required: !crlf, forms: [{ parts: [{ text: 'term ', tone: 'plain' }, term], rank: 4 }, { parts: [term], rank: crlf ? 5 : 1 }] });
  const [long, short] = describePhase(phase, status.inData, asking, exitCode);
  fields.push({ key: 'phase', required: true, forms: [{ parts: [{ text: long, tone: 'dim' }], rank: 4 }, { parts: [{ text: short, tone: 'dim' }], rank: 1 }] });
  if (queued > 0) {
    const waiting = `${queued} typed line${queued > 1 ? 's' : ''} waiting`;
    fields.push({ key: 'queued', forms: [{ parts: [{ text: waiting, tone: 'dim' }], rank: 5 }, { parts: [{ text: `+${queued}`, tone: 'dim' }], rank: 3 }] });
  }
  return fields;
}

function PartText({ part, code, chalk }: { part: StatusPart; code: number | undefined; chalk: ChalkInstance }) {
  switch (part.tone) {
    case 'strong':
      return <Text bold>{part.text}</Text>;
    case 'good':
      return <Text color="green">{part.text}</Text>;
    case 'caution':
      return <Text color="yellow">{part.text}</Text>;
    case 'alarm':
      return (
        <Text backgroundColor="red" color="white" bold>
          {part.text}
        </Text>
      );
    case 'dim':
      return <Text dimColor>{part.text}</Text>;
    case 'reply':
      return <Text bold>{code !== undefined ? colourForReply(chalk, code)(part.text) : part.text}</Text>;
    default:
      return <Text>{part.text}</Text>;
  }
}

/** The terminal's width, rendered again when it changes. */
function useColumns(): number {
  const { stdout } = useStdout();
  const [columns, setColumns] = useState(stdout.columns);
  useEffect(() => {
    const onResize = () => setColumns(stdout.columns);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return columns > 0 ? columns : 80;
}

export function StatusLine(props: StatusLineProps) {
  const columns = useColumns();
  const chosen = layoutStatus(statusFields(props), columns);
  return (
    // One Text, cut at the terminal's width: a status line that wraps is no longer one line.
    <Text wrap="truncate-end">
      {chosen.map((parts, i) => (
        <Text key={i}>
          {i > 0 ? <Text dimColor>{statusSeparator}</Text> : null}
          {parts.map((part, j) => (
            <PartText key={j} part={part} code={props.status.lastReply} chalk={props.chalk} />
          ))}
        </Text>
      ))}
    </Text>
  );
}
