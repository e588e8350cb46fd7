/**
 * `nagare build strat`: commander reads `strat` as an argument of the local `nagare build` and
 * says "too many arguments". A word where a subcommand goes, naming none, gets the nearest
 * subcommand suggested instead.
 */
import type { Command } from 'commander';

export function unknownSubcommand(program: Command, argv: readonly string[]): string | undefined {
  let command = program;
  const path: string[] = [];
  for (const word of argv) {
    if (word.startsWith('-')) return undefined;
    const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (next) {
      command = next;
      path.push(word);
      continue;
    }
    // The top level and commands without an action of their own: commander suggests already.
    if (command === program || command.commands.length === 0 || command.registeredArguments.length > 0) return undefined;
    const names = command.commands.map((c) => c.name()).filter((name) => name !== 'help');
    const best = nearest(word, names);
    return `nagare ${path.join(' ')}: no command '${word}'${best ? `; did you mean '${best}'?` : ''} (commands: ${names.join(', ')})\n`;
  }
  return undefined;
}

/** The name at the smallest edit distance, if it is close enough to be a typo. */
function nearest(word: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.name : undefined;
}

/** Damerau–Levenshtein (optimal string alignment): a swap of two letters counts once. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] ?? 0, ((d[i - 2] as number[])[j - 2] ?? 0) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] ?? 0;
}
