/**
 * CodeDeploy names an exception for nearly every refusal (ApplicationDoesNotExistException,
 * DeploymentGroupAlreadyExistsException …). Services raise the nagare code that says what kind of
 * problem it is and carry CodeDeploy's name in `details.awsException`, which the AWS route answers.
 */
import { NagareError, type ErrorCode } from '../../core/errors.js';

export function deployError(code: ErrorCode, awsException: string, message: string, details: Readonly<Record<string, unknown>> = {}): NagareError {
  return new NagareError(code, message, { details: { ...details, awsException } });
}

export const notFound = (awsException: string, message: string): NagareError => deployError('API_NOT_FOUND', awsException, message);
export const alreadyExists = (awsException: string, message: string): NagareError => deployError('API_ALREADY_EXISTS', awsException, message);
export const invalid = (awsException: string, message: string): NagareError => deployError('API_INVALID_INPUT', awsException, message);

/** Rethrows a store conflict as the service's "already exists". */
export async function conflictAs<T>(work: Promise<T>, error: () => NagareError): Promise<T> {
  try {
    return await work;
  } catch (thrown) {
    if (thrown instanceof NagareError && thrown.code === 'STORE_CONFLICT') throw error();
    throw thrown;
  }
}

/** CodeDeploy names: applications, groups, configurations, instances (1–100 characters). */
export function checkName(value: string, what: string, awsException: string): void {
  if (value.length < 1 || value.length > 100 || !/^[A-Za-z0-9._+=,@-]+$/.test(value)) {
    throw invalid(awsException, `The ${what} '${value}' must be 1 to 100 letters, digits and . _ + = , @ -`);
  }
}
