/**
 * Code coverage report formats (reference §1.9): Cobertura, JaCoCo and Clover XML, and SimpleCov's
 * `.resultset.json`, each read into per-file line and branch counts.
 */
import { attribute, children, descendants, numberAttribute, parseXmlRoot, ReportFormatError, type XmlElement } from './xml.js';
import type { CoverageParser, FileCoverage } from './types.js';

type Counts = { linesCovered: number; linesMissed: number; branchesCovered: number; branchesMissed: number };

const zero = (): Counts => ({ linesCovered: 0, linesMissed: 0, branchesCovered: 0, branchesMissed: 0 });

/** Cobertura: classes (several may share a file) with `<line hits=… branch=… condition-coverage="50% (1/2)">`. */
export const parseCoberturaXml: CoverageParser = (source) => {
  const root = parseXmlRoot(source, ['coverage']);
  const byFile = new Map<string, Counts>();
  for (const cls of descendants(root.element, ['packages', 'package', 'classes', 'class'])) {
    const filePath = attribute(cls, 'filename') ?? attribute(cls, 'name') ?? '';
    const counts = byFile.get(filePath) ?? zero();
    byFile.set(filePath, counts);
    for (const line of descendants(cls, ['lines', 'line'])) {
      if (numberAttribute(line, 'hits') > 0) counts.linesCovered += 1;
      else counts.linesMissed += 1;
      const condition = /\((\d+)\/(\d+)\)/.exec(attribute(line, 'condition-coverage') ?? '');
      if (attribute(line, 'branch') === 'true' && condition) {
        counts.branchesCovered += Number(condition[1]);
        counts.branchesMissed += Number(condition[2]) - Number(condition[1]);
      }
    }
  }
  return [...byFile].map(([filePath, counts]) => ({ filePath, ...counts }));
};

/** JaCoCo: `<report>` → package → sourcefile with `<counter type="LINE|BRANCH" missed covered>`. */
export const parseJacocoXml: CoverageParser = (source) => {
  const root = parseXmlRoot(source, ['report']);
  const files: FileCoverage[] = [];
  const visit = (group: XmlElement): void => {
    for (const pkg of children(group, 'package')) {
      const packageName = attribute(pkg, 'name') ?? '';
      for (const file of children(pkg, 'sourcefile')) {
        const name = attribute(file, 'name') ?? '';
        files.push({ filePath: packageName ? `${packageName}/${name}` : name, ...jacocoCounts(file) });
      }
    }
    for (const nested of children(group, 'group')) visit(nested);
  };
  visit(root.element);
  return files;
};

function jacocoCounts(element: XmlElement): Counts {
  const counter = (type: string): XmlElement | undefined => children(element, 'counter').find((c) => attribute(c, 'type') === type);
  const line = counter('LINE');
  const branch = counter('BRANCH');
  return {
    linesCovered: line ? numberAttribute(line, 'covered') : 0,
    linesMissed: line ? numberAttribute(line, 'missed') : 0,
    branchesCovered: branch ? numberAttribute(branch, 'covered') : 0,
    branchesMissed: branch ? numberAttribute(branch, 'missed') : 0,
  };
}

/** Clover: `<coverage>` → project → [package →] file with `<metrics statements coveredstatements conditionals coveredconditionals>`. */
export const parseCloverXml: CoverageParser = (source) => {
  const root = parseXmlRoot(source, ['coverage']);
  const project = children(root.element, 'project')[0];
  if (!project) throw new ReportFormatError('no <project> element in the Clover report');
  const files = [...children(project, 'file'), ...descendants(project, ['package', 'file'])];
  return files.map((file) => {
    const metrics = children(file, 'metrics')[0] ?? {};
    const statements = numberAttribute(metrics, 'statements');
    const coveredStatements = numberAttribute(metrics, 'coveredstatements');
    const conditionals = numberAttribute(metrics, 'conditionals');
    const coveredConditionals = numberAttribute(metrics, 'coveredconditionals');
    return {
      filePath: attribute(file, 'path') ?? attribute(file, 'name') ?? '',
      linesCovered: coveredStatements,
      linesMissed: statements - coveredStatements,
      branchesCovered: coveredConditionals,
      branchesMissed: conditionals - coveredConditionals,
    };
  });
};

type SimplecovFile = readonly (number | null)[] | { readonly lines?: readonly (number | null)[]; readonly branches?: Readonly<Record<string, Readonly<Record<string, number>>>> };

/**
 * SimpleCov `.resultset.json` (`{ "<command>": { "coverage": { "<file>": … } } }`) or its JSON
 * formatter's `{ "coverage": { … } }`. Several commands are merged: a line counts as covered when
 * any run covered it.
 */
export const parseSimplecovJson: CoverageParser = (source) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw new ReportFormatError(`not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ReportFormatError('expected a SimpleCov result set object');
  const record = parsed as Record<string, unknown>;
  const runs = 'coverage' in record ? [record] : Object.values(record).filter((run): run is Record<string, unknown> => typeof run === 'object' && run !== null && 'coverage' in run);
  if (runs.length === 0) throw new ReportFormatError('no "coverage" object in the SimpleCov result set');
  const lines = new Map<string, (number | null)[]>();
  const branches = new Map<string, Map<string, number>>();
  for (const run of runs) {
    for (const [filePath, coverage] of Object.entries(run.coverage as Record<string, SimplecovFile>)) {
      const fileLines: readonly (number | null)[] = Array.isArray(coverage) ? (coverage as readonly (number | null)[]) : (coverage as { lines?: (number | null)[] }).lines ?? [];
      const merged = lines.get(filePath) ?? [];
      fileLines.forEach((hits, index) => {
        if (typeof hits === 'number') merged[index] = Math.max(merged[index] ?? 0, hits);
        else merged[index] ??= null;
      });
      lines.set(filePath, merged);
      const fileBranches = branches.get(filePath) ?? new Map<string, number>();
      branches.set(filePath, fileBranches);
      if (!Array.isArray(coverage)) {
        for (const [condition, outcomes] of Object.entries((coverage as { branches?: Record<string, Record<string, number>> }).branches ?? {})) {
          for (const [outcome, hits] of Object.entries(outcomes)) {
            const key = `${condition} ${outcome}`;
            fileBranches.set(key, Math.max(fileBranches.get(key) ?? 0, hits));
          }
        }
      }
    }
  }
  return [...lines].map(([filePath, hits]) => {
    const relevant = hits.filter((h): h is number => typeof h === 'number');
    const outcomes = [...(branches.get(filePath)?.values() ?? [])];
    return {
      filePath,
      linesCovered: relevant.filter((h) => h > 0).length,
      linesMissed: relevant.filter((h) => h === 0).length,
      branchesCovered: outcomes.filter((h) => h > 0).length,
      branchesMissed: outcomes.filter((h) => h === 0).length,
    };
  });
};
