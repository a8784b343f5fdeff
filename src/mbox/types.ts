/** Plain data shared by the mbox splitter, the rules and the reporters. */
export const Severity = { error: 'error', warning: 'warning', info: 'info' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Higher is more severe; `--min-severity` compares these ranks. */
export const severityRank: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/**
 * The mbox flavours of RFC 4155 §2 and the qmail/mutt man pages: mboxo escapes nothing
 * reliably, mboxrd escapes `>*From `, mboxcl adds Content-Length and escapes, mboxcl2
 * relies on Content-Length alone.
 */
export const Variant = { mboxo: 'mboxo', mboxrd: 'mboxrd', mboxcl: 'mboxcl', mboxcl2: 'mboxcl2', message: 'message' } as const;
export type Variant = (typeof Variant)[keyof typeof Variant];

export const Eol = { lf: 'lf', crlf: 'crlf', cr: 'cr', none: 'none' } as const;
export type Eol = (typeof Eol)[keyof typeof Eol];

export interface Finding {
  rule: string;
  severity: Severity;
  file: string;
  /** 1-based message number within the file. */
  message: number;
  /** 1-based line number within the file. */
  line: number;
  /** Byte offset within the file of the offending byte (or of the line when no single byte is at fault). */
  offset: number;
  /** The offending line with CR, LF, NUL and other controls made visible. */
  text: string;
  /** What is wrong, in one sentence. */
  detail: string;
  /** The message's From_ line (visible form), when it has one. */
  fromLine: string | undefined;
  messageId: string | undefined;
}

/** Where one message sits in its file, and what the grouping report needs from its header. */
export interface MessageInfo {
  file: string;
  message: number;
  /** Byte offset of the From_ line (or of the message when there is none). */
  start: number;
  /** Byte offset one past the message's last byte (the next From_ line or end of input). */
  end: number;
  findings: number;
  hasFromLine: boolean;
  /** Undefined when the scanner was not asked for origins (`ScanOptions.origins`). */
  origin: OriginFields | undefined;
}

export interface OriginFields {
  senderDomain: string | undefined;
  mailer: string | undefined;
  listId: string | undefined;
  receivedFrom: string | undefined;
}

export interface FileSummary {
  file: string;
  variant: Variant;
  eol: Eol;
  bytes: number;
  messages: number;
}
