/**
 * ANSI colours in build logs as styled segments (SGR codes only; every other escape is dropped).
 * The text stays text: segments are rendered as text nodes, never as HTML.
 */
export interface Segment {
  readonly text: string;
  /** CSS classes: `fg-<colour>`, `bold`, `dim`. */
  readonly classes: string;
}

const COLOURS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
// eslint-disable-next-line no-control-regex
const ESCAPE = /\u001b\[([0-9;]*)([A-Za-z])/g;

export function ansiSegments(text: string): Segment[] {
  const segments: Segment[] = [];
  let fg: string | undefined;
  let bold = false;
  let dim = false;
  let last = 0;
  const classes = (): string => [fg ? `fg-${fg}` : '', bold ? 'bold' : '', dim ? 'dim' : ''].filter(Boolean).join(' ');
  const push = (part: string): void => {
    if (part !== '') segments.push({ text: part, classes: classes() });
  };
  for (const found of text.matchAll(ESCAPE)) {
    push(text.slice(last, found.index));
    last = found.index + found[0].length;
    if (found[2] !== 'm') continue;
    for (const code of (found[1] === '' ? '0' : found[1] ?? '0').split(';').map(Number)) {
      if (code === 0) [fg, bold, dim] = [undefined, false, false];
      else if (code === 1) bold = true;
      else if (code === 2) dim = true;
      else if (code === 22) [bold, dim] = [false, false];
      else if (code === 39) fg = undefined;
      else if (code >= 30 && code <= 37) fg = COLOURS[code - 30];
      else if (code >= 90 && code <= 97) fg = COLOURS[code - 90];
    }
  }
  push(text.slice(last));
  return segments;
}
