/**
 * CodeDeploy names its own exceptions: the deployment services carry them in
 * `details.awsException` (server/deployments/deploy-errors.ts); input the schemas refuse is
 * InvalidInputException-like in CodeDeploy's vocabulary, and unsupported features name their key.
 */
import type { NagareError } from '../../core/errors.js';
import type { AwsError } from './aws-error.js';

export function codeDeployErrorOf(error: NagareError): AwsError | undefined {
  const named = error.details.awsException;
  if (typeof named === 'string' && named !== '') return { type: named, status: 400 };
  switch (error.code) {
    case 'UNSUPPORTED_FEATURE':
    case 'API_INVALID_INPUT':
    case 'API_MALFORMED_JSON':
      return { type: 'InvalidInputException', status: 400 };
    default:
      return undefined;
  }
}
