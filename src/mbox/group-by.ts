import type { Finding, MessageInfo, OriginFields } from './types.js';

export const GroupKey = { senderDomain: 'sender-domain', mailer: 'mailer', listId: 'list-id', receivedFrom: 'received-from' } as const;
export type GroupKey = (typeof GroupKey)[keyof typeof GroupKey];

const originField: Record<GroupKey, keyof OriginFields> = {
  'sender-domain': 'senderDomain',
  mailer: 'mailer',
  'list-id': 'listId',
  'received-from': 'receivedFrom',
};

export interface GroupRow {
  origin: string;
  messages: number;
  flagged: number;
  rules: Record<string, number>;
}

/** Which origin produces which rules: incident 1's broken messages all came from one platform. */
export class OriginGroups {
  private readonly rows = new Map<string, GroupRow>();
  constructor(readonly key: GroupKey) {}

  add(info: MessageInfo, findings: readonly Finding[]): void {
    const origin = info.origin?.[originField[this.key]] ?? '(none)';
    let row = this.rows.get(origin);
    if (!row) {
      row = { origin, messages: 0, flagged: 0, rules: {} };
      this.rows.set(origin, row);
    }
    row.messages++;
    if (findings.length > 0) row.flagged++;
    for (const f of findings) row.rules[f.rule] = (row.rules[f.rule] ?? 0) + 1;
  }

  /** Most flagged origins first. */
  table(): GroupRow[] {
    return [...this.rows.values()].sort((a, b) => b.flagged - a.flagged || b.messages - a.messages || (a.origin < b.origin ? -1 : 1));
  }
}
