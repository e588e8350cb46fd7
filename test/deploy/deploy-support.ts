// What the deploy tests share: a revision written from a map of files (scripts executable), a
// fresh deployment root and destination, and a request with CodeDeploy's in-place events.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir as makeTempDir } from '../build/temp-tree.js';
import { IN_PLACE_EVENTS } from '../../src/core/appspec.js';
import { runInstanceDeployment, type InstanceDeploymentRequest, type LifecycleEventResult } from '../../src/deploy/instance-deployment.js';

export async function tempDir(prefix = 'nagare-deploy-'): Promise<string> {
  return makeTempDir(prefix);
}

/** Files of a revision: text, or `{ script }` for an executable shell script (a `#!/bin/sh` line is added). */
export type RevisionFiles = Record<string, string | { readonly script: string }>;

export async function writeRevision(files: RevisionFiles, dir?: string): Promise<string> {
  const root = dir ?? (await tempDir('nagare-revision-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    if (typeof content === 'string') {
      await writeFile(file, content);
    } else {
      await writeFile(file, `#!/bin/sh\n${content.script}\n`);
      await chmod(file, 0o755);
    }
  }
  return root;
}

let counter = 0;

/** A deployment id of the agent's form, unique in the test process. */
export function deploymentId(): string {
  counter += 1;
  return `d-${String(counter).padStart(9, '0')}`;
}

export interface Host {
  readonly deploymentRoot: string;
  /** Where the tests' appspecs install files: a stand-in for /var/www. */
  readonly www: string;
}

export async function newHost(): Promise<Host> {
  const dir = await tempDir('nagare-host-');
  return { deploymentRoot: path.join(dir, 'deployment-root'), www: path.join(dir, 'www') };
}

export function request(host: Host, bundle: string, overrides: Partial<InstanceDeploymentRequest> = {}): InstanceDeploymentRequest {
  return {
    deploymentId: deploymentId(),
    applicationName: 'WebApp',
    deploymentGroupName: 'Beta',
    deploymentGroupId: 'a1b2c3d4-dg',
    bundle: { path: bundle, type: 'directory' },
    deploymentRoot: host.deploymentRoot,
    fileExistsBehavior: 'DISALLOW',
    ignoreApplicationStopFailures: false,
    events: IN_PLACE_EVENTS,
    ...overrides,
  };
}

export async function deploy(host: Host, bundle: string, overrides: Partial<InstanceDeploymentRequest> = {}): Promise<{ id: string; results: readonly LifecycleEventResult[]; byName: (name: string) => LifecycleEventResult }> {
  const deployment = request(host, bundle, overrides);
  const results = await runInstanceDeployment(deployment, {});
  const byName = (name: string): LifecycleEventResult => {
    const found = results.find((result) => result.name === name);
    if (!found) throw new Error(`no ${name} in ${results.map((result) => result.name).join(', ')}`);
    return found;
  };
  return { id: deployment.deploymentId, results, byName };
}

export const statuses = (results: readonly LifecycleEventResult[]): string[] => results.map((result) => `${result.name}:${result.status}`);

export function appspec(body: string): string {
  return `version: 0.0\nos: linux\n${body}`;
}
