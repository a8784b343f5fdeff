import type { ChalkInstance } from 'chalk';
import { Box, useStdout } from 'ink';
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { InteractiveController } from './controller.js';
import { HistoryRing } from './history.js';
import { InputLine } from './input-line.js';
import { clearScreen, screenTail } from './screen-tail.js';
import { renderScrollLine, Scrollback } from './scrollback.js';
import { StatusLine } from './status-line.js';

/** Rows below the conversation: the status line, the input line and the row the cursor waits on. */
const liveRows = 3;

/** The whole screen: the conversation as scrollback, the status line, the input line. */
export function App({ controller, chalk }: { controller: InteractiveController; chalk: ChalkInstance }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const { stdout, write } = useStdout();
  const lines = useRef(state.lines);
  lines.current = state.lines;
  useEffect(() => {
    // When the terminal narrows, redraw the screen from the conversation (see screenTail):
    // ink alone erases only the rows its last frame had at the old width.
    let width = stdout.columns;
    const onResize = () => {
      const now = stdout.columns;
      if (now < width) {
        const rendered = lines.current.map((line) => renderScrollLine(chalk, line));
        write(clearScreen + screenTail(rendered, now, Math.max(0, stdout.rows - liveRows)));
      }
      width = now;
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, write, chalk]);
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
