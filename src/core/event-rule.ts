/** EventBridge-style rules (reference §3.1): an event pattern or a schedule, and targets it starts. */
export interface EventRuleTarget {
  /** 1–64 of `[.\-_A-Za-z0-9]`, unique in the rule. */
  readonly id: string;
  /** A pipeline (`arn:aws:codepipeline:<region>:<account>:<name>`) or a build project (`…:project/<name>`). */
  readonly arn: string;
}

export interface EventRule {
  readonly name: string;
  readonly arn: string;
  /** The pattern as given (a JSON string), checked at PutRule. */
  readonly eventPattern: string | undefined;
  readonly scheduleExpression: string | undefined;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly description: string | undefined;
  readonly targets: readonly EventRuleTarget[];
  readonly created: number;
  readonly lastModified: number;
  /** The event log's last sequence when the rule was put: earlier events do not fire it. */
  readonly afterSequence: number;
  /** When the schedule fires next (epoch ms); undefined without a schedule or when none is left. */
  readonly nextFireAt: number | undefined;
}
