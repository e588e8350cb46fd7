/** The parts of a pipeline action as read from its definition, shared by the reader and the provider rules. */
import type { ActionCategory, ActionOwner, PipelineType } from '../core/pipeline.js';
import type { Located } from './pipeline-fields.js';
import type { Field } from './yaml-reader.js';

/** The raw parts of an action that provider rules look at. */
export interface ActionParts {
  readonly label: string;
  readonly node: unknown;
  readonly path: string;
  readonly pipelineType: PipelineType;
  readonly category: ActionCategory | undefined;
  readonly owner: ActionOwner | undefined;
  readonly provider: Located | undefined;
  readonly version: Located | undefined;
  /** Entries with valid values only. */
  readonly configuration: readonly Field[];
  /** Every key written, valid value or not. */
  readonly configurationKeys: ReadonlySet<string>;
  readonly byKey: ReadonlyMap<string, Field>;
  readonly inputs: readonly Located[];
  readonly outputs: readonly Located[];
}
