/**
 * The CodeBuild project as CreateProject / UpdateProject take it, validated once at the edge. Both
 * the native API and the AWS JSON API accept this shape (field names as in the AWS reference).
 */
import { z } from 'zod';
import { PROJECT_NAME_PATTERN } from '../core/project.js';

export const environmentVariableSchema = z.object({
  name: z.string().min(1).max(255).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a shell variable name'),
  value: z.string().max(32_768),
  type: z.enum(['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']).default('PLAINTEXT'),
});

const SUPPORTED_SOURCES = ['NO_SOURCE', 'GIT', 'CODECOMMIT', 'CODEPIPELINE'] as const;

export const sourceSchema = z.object({
  type: z.string().refine((t): t is (typeof SUPPORTED_SOURCES)[number] => (SUPPORTED_SOURCES as readonly string[]).includes(t), {
    message: `source type must be one of ${SUPPORTED_SOURCES.join(', ')} (others are not supported yet)`,
  }),
  location: z.string().max(2048).optional(),
  buildspec: z.string().max(256 * 1024).optional(),
  gitCloneDepth: z.number().int().min(0).optional(),
});

export const artifactsSchema = z.object({
  type: z.enum(['NO_ARTIFACTS', 'S3', 'CODEPIPELINE']),
  artifactIdentifier: z.string().max(128).optional(),
  name: z.string().max(1024).optional(),
  location: z.string().max(1024).optional(),
  path: z.string().max(1024).optional(),
  namespaceType: z.enum(['NONE', 'BUILD_ID']).optional(),
  packaging: z.enum(['NONE', 'ZIP']).optional(),
  overrideArtifactName: z.boolean().optional(),
});

export const projectNameSchema = z.string().regex(PROJECT_NAME_PATTERN, 'must be 2–255 letters, digits, - or _, starting with a letter or digit');

export const projectInputSchema = z.object({
  name: projectNameSchema,
  description: z.string().max(255).optional(),
  source: sourceSchema,
  sourceVersion: z.string().max(255).optional(),
  environment: z.object({
    type: z.string().optional(),
    image: z.string().min(1).max(2048),
    computeType: z.string().optional(),
    environmentVariables: z.array(environmentVariableSchema).max(200).optional(),
    privilegedMode: z.boolean().optional(),
    registryCredential: z.object({ credential: z.string().min(1).max(2048), credentialProvider: z.literal('SECRETS_MANAGER') }).optional(),
  }),
  artifacts: artifactsSchema,
  secondaryArtifacts: z.array(artifactsSchema).max(12).optional(),
  cache: z.object({ type: z.enum(['NO_CACHE', 'LOCAL', 'S3']), modes: z.array(z.string()).optional() }).optional(),
  timeoutInMinutes: z.number().int().min(5).max(2160).optional(),
  queuedTimeoutInMinutes: z.number().int().min(5).max(480).optional(),
  concurrentBuildLimit: z.number().int().min(1).optional(),
  tags: z.array(z.object({ key: z.string().min(1).max(128), value: z.string().max(256) })).max(50).optional(),
});

export const projectUpdateSchema = projectInputSchema.partial().extend({ name: projectNameSchema });

export const startBuildSchema = z.object({
  sourceVersion: z.string().max(255).optional(),
  environmentVariablesOverride: z.array(environmentVariableSchema).max(200).optional(),
  buildspecOverride: z.string().max(256 * 1024).optional(),
  timeoutInMinutesOverride: z.number().int().min(5).max(2160).optional(),
  imageOverride: z.string().min(1).max(2048).optional(),
});
