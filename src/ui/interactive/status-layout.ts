/**
 * Which fields of the status line fit a terminal of a given width. The status line is one
 * row: when it cannot hold everything, the least important field gives way first (it is
 * shortened if it has a shorter form, then dropped), so a narrow terminal still shows
 * whether verification failed, the last reply code and what the session is doing.
 */

export type StatusTone = 'strong' | 'good' | 'caution' | 'alarm' | 'dim' | 'plain' | 'reply';

export interface StatusPart {
  text: string;
  tone: StatusTone;
}

export interface StatusForm {
  parts: readonly StatusPart[];
  /** How early the field gives way from this form: 0 last, a larger number earlier. */
  rank: number;
}

export interface StatusField {
  key: string;
  /** The forms this field can take, longest first; the field is dropped after the last. */
  forms: readonly StatusForm[];
  /** A field that is never dropped (it may still take its shortest form). */
  required?: boolean;
}

/** What separates two fields on screen. */
export const statusSeparator = ' │ ';

const partsWidth = (parts: readonly StatusPart[]): number => parts.reduce((sum, part) => sum + [...part.text].length, 0);

/** The width the chosen forms take, separators included. */
export function statusWidth(chosen: readonly (readonly StatusPart[])[]): number {
  if (chosen.length === 0) return 0;
  return chosen.reduce((sum, parts) => sum + partsWidth(parts), 0) + statusSeparator.length * (chosen.length - 1);
}

/**
 * Picks one form per field (or drops it) so that the line fits `columns`, keeping the
 * fields' order. What still does not fit once only required fields in their shortest form
 * remain is cut at the end by the renderer.
 */
export function layoutStatus(fields: readonly StatusField[], columns: number): (readonly StatusPart[])[] {
  // The last column is left free: a terminal that wraps at it would push the line onto two rows.
  const room = Math.max(1, columns - 1);
  const form = fields.map(() => 0);
  const dropped = fields.map(() => false);
  const chosen = () => fields.flatMap((field, i) => (dropped[i] ? [] : [field.forms[form[i]!]!.parts]));
  for (;;) {
    if (statusWidth(chosen()) <= room) break;
    // The field to give way: the highest rank of its current form; among equals, the rightmost.
    let victim = -1;
    let victimRank = -Infinity;
    for (let i = 0; i < fields.length; i += 1) {
      const field = fields[i]!;
      const canShorten = !dropped[i] && form[i]! < field.forms.length - 1;
      const canDrop = !dropped[i] && !field.required;
      if (!canShorten && !canDrop) continue;
      const rank = field.forms[form[i]!]!.rank;
      if (rank >= victimRank) {
        victim = i;
        victimRank = rank;
      }
    }
    if (victim === -1) break;
    if (form[victim]! < fields[victim]!.forms.length - 1) form[victim] = form[victim]! + 1;
    else dropped[victim] = true;
  }
  return chosen();
}
