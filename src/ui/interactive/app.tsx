import type { ChalkInstance } from 'chalk';
import { Box } from 'ink';
import { useRef, useSyncExternalStore } from 'react';
import type { InteractiveController } from './controller.js';
import { HistoryRing } from './history.js';
import { InputLine } from './input-line.js';
import { Scrollback } from './scrollback.js';
import { StatusLine } from './status-line.js';

/** The whole screen: the conversation as scrollback, the status line, the input line. */
export function App({ controller, chalk }: { controller: InteractiveController; chalk: ChalkInstance }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const history = useRef(new HistoryRing());
  const ended = state.phase === 'ended';
  const prompt = state.passwordFor !== undefined ? `Password for ${state.passwordFor}: ` : state.status.inData ? 'data> ' : 'smtp> ';
  return (
    <Box flexDirection="column">
      <Scrollback lines={state.lines} chalk={chalk} />
      <StatusLine status={state.status} phase={state.phase} queued={state.queued} exitCode={state.exitCode} asking={state.passwordFor !== undefined} chalk={chalk} />
      {ended ? null : (
        <InputLine
          // A fresh editor for the password, so the secret never shares state with the command line.
          key={state.passwordFor !== undefined ? 'password' : 'command'}
          prompt={prompt}
          masked={state.passwordFor !== undefined}
          onSubmit={(line) => controller.submit(line)}
          onInterrupt={() => controller.interrupt()}
          history={history.current}
        />
      )}
    </Box>
  );
}
