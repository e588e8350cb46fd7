/**
 * CodeCommit names its own exceptions where CodeBuild says ResourceNotFoundException or
 * InvalidInputException: the REPO_* codes map here, and input problems that CodeCommit reports
 * with a particular exception are thrown as CodeCommitInputError naming it.
 */
import { NagareError } from '../../core/errors.js';
import type { AwsError } from './aws-error.js';

/** A caller's input problem with the CodeCommit exception it is reported as. */
export class CodeCommitInputError extends NagareError {
  constructor(readonly awsType: string, message: string) {
    super('API_INVALID_INPUT', message);
  }
}

/** The AWS error of a NagareError in a CodeCommit operation; undefined for the common mapping. */
export function codeCommitErrorOf(error: NagareError): AwsError | undefined {
  if (error instanceof CodeCommitInputError) return { type: error.awsType, status: 400 };
  switch (error.code) {
    case 'REPO_INVALID_NAME':
      return { type: 'InvalidRepositoryNameException', status: 400 };
    case 'REPO_ALREADY_EXISTS':
      return { type: 'RepositoryNameExistsException', status: 400 };
    case 'REPO_NOT_FOUND':
      return { type: 'RepositoryDoesNotExistException', status: 400 };
    case 'REPO_BRANCH_NOT_FOUND':
      return { type: 'BranchDoesNotExistException', status: 400 };
    case 'REPO_COMMIT_NOT_FOUND':
      // GetCommit's name for it; the file operations (not served yet) say CommitDoesNotExistException.
      return { type: 'CommitIdDoesNotExistException', status: 400 };
    default:
      return undefined;
  }
}
