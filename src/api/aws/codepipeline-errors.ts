/**
 * CodePipeline names its own exceptions: the machine's refusals carry theirs in
 * `details.awsException` (core PIPELINE_ERRORS), a taken name is PipelineNameInUseException, an
 * invalid definition InvalidStructureException (InvalidActionDeclarationException when only
 * unsupported action features are at fault), and any other input problem ValidationException.
 */
import { NagareError, SpecErrors } from '../../core/errors.js';
import type { AwsError } from './aws-error.js';

/** A caller's input problem with the CodePipeline exception it is reported as. */
export class CodePipelineInputError extends NagareError {
  constructor(readonly awsType: string, message: string) {
    super('API_INVALID_INPUT', message);
  }
}

/** The AWS error of a NagareError in a CodePipeline operation; undefined for the common mapping. */
export function codePipelineErrorOf(error: NagareError): AwsError | undefined {
  if (error instanceof CodePipelineInputError) return { type: error.awsType, status: 400 };
  const named = error.details.awsException;
  if (typeof named === 'string' && named !== '') return { type: named, status: 400 };
  if (error instanceof SpecErrors) return { type: specExceptionOf(error), status: 400 };
  if (error.code.startsWith('SPEC_')) return { type: 'InvalidStructureException', status: 400 };
  switch (error.code) {
    case 'UNSUPPORTED_FEATURE':
      return { type: 'ValidationException', status: 400 };
    case 'API_ALREADY_EXISTS':
      return { type: 'PipelineNameInUseException', status: 400 };
    case 'API_INVALID_INPUT':
    case 'API_MALFORMED_JSON':
      return { type: 'ValidationException', status: 400 };
    case 'API_CONFLICT':
      return { type: 'ConflictException', status: 400 };
    default:
      return undefined;
  }
}

/** Structure problems win; a definition refused only for unsupported action features is an action declaration problem. */
function specExceptionOf(error: SpecErrors): string {
  if (error.errors.some((e) => e.code !== 'UNSUPPORTED_FEATURE')) return 'InvalidStructureException';
  return error.errors.every((e) => e.position?.path.includes('actions[') === true) ? 'InvalidActionDeclarationException' : 'ValidationException';
}

/** An invalid definition as one error: its exception, and every problem with its key path. */
export function definitionError(error: SpecErrors): CodePipelineInputError {
  return new CodePipelineInputError(specExceptionOf(error), error.errors.map((e) => `${e.message}${e.position?.path ? ` (at ${e.position.path})` : ''}`).join('; '));
}
