/**
 * The commands with their one-line summaries: main.ts lists them in `smtpdbg --help` without
 * loading any command module, and each module declares itself with the same words.
 */
export const commandList = {
  session: {
    args: '[target]',
    summary: 'an SMTP conversation with STARTTLS: interactive on a terminal, scripted when stdin is piped',
  },
  inject: {
    args: '[target]',
    summary: 'send a message whose bytes you choose: CR, LF or CRLF line ends, any end-of-data sequence, smuggling probes',
  },
  serve: {
    args: '',
    summary: 'run a local SMTP capture server that shows every byte it receives and stores messages; it accepts any recipient and NEVER relays anything',
  },
  proxy: {
    args: '',
    summary: 'sit between an application and its SMTP server: terminate STARTTLS with our own certificate, relay, and record both legs decoded',
  },
  transcript: {
    args: '<file>',
    summary: 'render a JSON Lines transcript (from --transcript FILE.jsonl of session, inject or proxy)',
  },
  'lint-mbox': {
    args: '[files...]',
    summary: 'find header corruption in mbox files (bare CR, merged fields, broken From_ lines, …) and say where it comes from',
  },
} as const;

export type CommandName = keyof typeof commandList;
