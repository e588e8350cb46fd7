/**
 * The action providers the driver knows, by (category, owner, provider). A pipeline the spec
 * accepts only names these (spec/pipeline-providers.ts); an action whose type is missing here
 * fails with a message saying so.
 */
import type { ActionTypeId } from '../../../core/pipeline.js';
import type { DomainEventType } from '../../events/event-bus.js';
import type { ActionProvider } from './action-provider.js';
import { codeBuildProvider } from './codebuild.js';
import { codeCommitProvider, codeStarConnectionProvider, gitHubProvider } from './git-sources.js';
import { codeDeployProvider } from './codedeploy.js';
import { commandsProvider } from './commands.js';
import { manualApprovalProvider } from './manual.js';

export class ActionProviderRegistry {
  private readonly byType = new Map<string, ActionProvider>();

  constructor(readonly providers: readonly ActionProvider[]) {
    for (const provider of providers) {
      for (const { category, owner } of provider.actionTypes) this.byType.set(key(category, owner, provider.provider), provider);
    }
  }

  /** The provider of an action type, if nagare runs it. */
  get(type: Pick<ActionTypeId, 'category' | 'owner' | 'provider'>): ActionProvider | undefined {
    return this.byType.get(key(type.category, type.owner, type.provider));
  }

  /** Event types that carry results of some provider's attempts (the driver subscribes to these). */
  resultEvents(): DomainEventType[] {
    return [...new Set(this.providers.flatMap((p) => p.resultEvents))];
  }
}

/** CodeCommit, GitHub and connection sources (from mirrors), CodeBuild, CodeDeploy, Commands and manual approvals; a new provider is a new file added here. */
export function defaultProviders(): ActionProviderRegistry {
  return new ActionProviderRegistry([codeCommitProvider, gitHubProvider, codeStarConnectionProvider, codeBuildProvider, codeDeployProvider, commandsProvider, manualApprovalProvider()]);
}

function key(category: string, owner: string, provider: string): string {
  return `${category}/${owner}/${provider}`;
}
