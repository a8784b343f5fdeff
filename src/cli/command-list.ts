import type { Command } from 'commander';

/** Declares a command's options and action on the program. */
export type RegisterCommand = (program: Command) => void;

/**
 * The one table of commands: each one's arguments, one-line summary and loader. main.ts lists
 * them in `smtpdbg --help` without loading any command module, and loads only the module of
 * the command being run (start-up stays close to bare Node); each module declares itself
 * with the same words.
 */
export const commandList = {
  session: {
    args: '[target]',
    summary: 'an SMTP conversation with STARTTLS: interactive on a terminal, scripted when stdin is piped',
    load: async (): Promise<RegisterCommand> => (await import('./session.js')).registerSession,
  },
  inject: {
    args: '[target]',
    summary: 'send a message whose bytes you choose: CR, LF or CRLF line ends, any end-of-data sequence, smuggling probes',
    load: async (): Promise<RegisterCommand> => (await import('./inject.js')).registerInject,
  },
  serve: {
    args: '',
    summary: 'run a local SMTP capture server that shows every byte it receives and stores messages; it accepts any recipient and NEVER relays anything',
    load: async (): Promise<RegisterCommand> => (await import('./serve.js')).registerServe,
  },
  proxy: {
    args: '',
    summary: 'sit between an application and its SMTP server: terminate STARTTLS with our own certificate, relay, and record both legs decoded',
    load: async (): Promise<RegisterCommand> => (await import('./proxy.js')).registerProxy,
  },
  transcript: {
    args: '<file>',
    summary: 'render a JSON Lines transcript (from --transcript FILE.jsonl of session, inject or proxy)',
    load: async (): Promise<RegisterCommand> => (await import('./transcript.js')).registerTranscript,
  },
  probe: {
    args: '<domain>',
    summary: "check a mail domain from outside: its MX hosts, their STARTTLS, certificates and TLS versions, DANE, MTA-STS and TLS-RPT (sends only EHLO, STARTTLS, QUIT)",
    load: async (): Promise<RegisterCommand> => (await import('./probe.js')).registerProbe,
  },
  'lint-mbox': {
    args: '[files...]',
    summary: 'find header corruption in mbox files (bare CR, merged fields, broken From_ lines, …) and say where it comes from',
    load: async (): Promise<RegisterCommand> => (await import('./lint-mbox.js')).registerLintMbox,
  },
} as const satisfies Record<string, { args: string; summary: string; load: () => Promise<RegisterCommand> }>;

export type CommandName = keyof typeof commandList;
