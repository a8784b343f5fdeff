import type { ChalkInstance } from 'chalk';
import { Text } from 'ink';
import { colourForReply } from '../colors.js';
import type { Phase, StatusInfo } from './controller.js';

const phaseWords: Record<Phase, string> = {
  connecting: 'connecting…',
  opening: 'opening…',
  ready: 'ready',
  busy: 'waiting for the reply…',
  quitting: 'sending QUIT… (Ctrl-C again closes at once)',
  ended: 'session ended',
};

function describePhase(phase: Phase, inData: boolean, asking: boolean, exitCode: number | undefined): string {
  if (phase === 'ended' && exitCode !== undefined) return `session ended (exit ${exitCode})`;
  if (asking) return 'type the password (not shown)';
  if (inData && phase === 'ready') return 'DATA: end with a line holding only "."';
  return phaseWords[phase];
}

const Separator = () => <Text dimColor> │ </Text>;

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

export function StatusLine({ status, phase, queued, exitCode, asking, chalk }: StatusLineProps) {
  const tls = status.tls;
  return (
    // One Text, cut at the terminal's width: a status line that wraps is no longer one line.
    <Text wrap="truncate-end">
      <Text bold>{status.target}</Text>
      <Separator />
      {tls ? <Text color="green">{`${tls.protocol ?? 'TLS'} ${tls.cipher ?? ''}`.trim()}</Text> : <Text color="yellow">plain</Text>}
      {tls ? (
        <>
          <Separator />
          {tls.verified ? <Text color="green">verify ok</Text> : <Text backgroundColor="red" color="white" bold>{`verify FAILED: ${tls.verifyError ?? 'unknown reason'}`}</Text>}
        </>
      ) : null}
      <Separator />
      <Text>last </Text>
      {status.lastReply !== undefined ? <Text bold>{colourForReply(chalk, status.lastReply)(String(status.lastReply))}</Text> : <Text dimColor>—</Text>}
      <Separator />
      {/* Anything but CRLF is unusual on purpose, so it stands out (RFC 5321 §2.3.8). */}
      <Text>term </Text>
      {status.terminator === 'crlf' ? <Text dimColor>CRLF</Text> : <Text backgroundColor="red" color="white" bold>{status.terminator.toUpperCase()}</Text>}
      <Separator />
      <Text dimColor>{describePhase(phase, status.inData, asking, exitCode)}</Text>
      {queued > 0 ? <Text dimColor>{` (${queued} typed line${queued > 1 ? 's' : ''} waiting)`}</Text> : null}
    </Text>
  );
}
