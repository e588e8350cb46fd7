/**
 * Spans in OTLP/JSON (the protobuf JSON mapping of `ExportTraceServiceRequest`, as OTLP/HTTP
 * defines it: trace and span ids as lowercase hex, enums as numbers, 64-bit times as decimal
 * strings), written by hand rather than with the OpenTelemetry SDK: the few fields nagare sends do
 * not justify a dependency tree in every server, and the spans are rebuilt from stored state
 * (executions, builds, deployments) rather than recorded in memory, so no SDK state is needed.
 *
 * The spans of one push: the push (root) → the pipeline execution → each action attempt → the build
 * or deployment the attempt started → each instance of a deployment → that instance's lifecycle
 * events. An API caller's span stands where the push's would.
 * Attributes name things (ids, names, statuses), never a variable, a log line or a secret.
 */
import type { AwsEvent } from '../../core/aws-event.js';
import type { Deployment } from '../../core/deployment.js';
import type { RolloutInstance } from '../../core/deployment-rollout-types.js';
import type { ActionRun, ExecutionState } from '../../core/pipeline-execution.js';
import type { StoredBuild } from '../../core/store.js';
import { actionSpanId, executionSpanId, executionTraceId, instanceSpanId, lifecycleEventSpanId, pushSpanId, spanIdOf, traceIdOf } from './trace.js';

type AnyValue = { readonly stringValue: string } | { readonly intValue: string } | { readonly boolValue: boolean };
export interface OtlpAttribute {
  readonly key: string;
  readonly value: AnyValue;
}

/** `Span` of opentelemetry/proto/trace/v1/trace.proto, in its JSON mapping. */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** SPAN_KIND_INTERNAL = 1, SPAN_KIND_SERVER = 2. */
  readonly kind: 1 | 2;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: readonly OtlpAttribute[];
  /** STATUS_CODE_OK = 1, STATUS_CODE_ERROR = 2. */
  readonly status: { readonly code: 1 | 2; readonly message?: string };
}

const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_SERVER = 2;

function attributes(values: Readonly<Record<string, string | number | boolean | undefined>>): OtlpAttribute[] {
  return Object.entries(values).flatMap(([key, value]): OtlpAttribute[] => {
    if (value === undefined) return [];
    if (typeof value === 'number') return [{ key, value: { intValue: String(Math.trunc(value)) } }];
    if (typeof value === 'boolean') return [{ key, value: { boolValue: value } }];
    return [{ key, value: { stringValue: value } }];
  });
}

const nanos = (epochMs: number): string => `${BigInt(Math.trunc(epochMs)) * 1_000_000n}`;

function status(ok: boolean, message: string): OtlpSpan['status'] {
  return ok ? { code: 1 } : { code: 2, message };
}

function span(fields: Omit<OtlpSpan, 'parentSpanId' | 'startTimeUnixNano' | 'endTimeUnixNano'> & { readonly parentSpanId: string | undefined; readonly start: number; readonly end: number }): OtlpSpan {
  const { parentSpanId, start, end, ...rest } = fields;
  return { ...rest, ...(parentSpanId === undefined ? {} : { parentSpanId }), startTimeUnixNano: nanos(start), endTimeUnixNano: nanos(Math.max(start, end)) };
}

/** A push's span (a moment: the push's event time), the root of its trace. */
export function pushSpan(event: AwsEvent, traceId: string): OtlpSpan {
  const at = Date.parse(event.time);
  const d = event.detail;
  const text = (key: string): string | undefined => (typeof d[key] === 'string' ? d[key] : undefined);
  return span({
    traceId,
    spanId: pushSpanId(traceId),
    parentSpanId: undefined,
    name: `push ${text('repositoryName') ?? ''} ${text('referenceName') ?? ''}`.trim(),
    kind: SPAN_KIND_SERVER,
    start: at,
    end: at,
    attributes: attributes({ 'nagare.repository': text('repositoryName'), 'nagare.ref': text('referenceFullName'), 'nagare.commit': text('commitId'), 'nagare.event': text('event') }),
    status: status(true, ''),
  });
}

/** An ended execution's span, under its cause's span (a push, an API caller) when it has one. */
export function executionSpan(pipelineName: string, execution: ExecutionState): OtlpSpan {
  const id = execution.pipelineExecutionId;
  return span({
    traceId: executionTraceId(id, execution.traceParent),
    spanId: executionSpanId(id),
    parentSpanId: spanIdOf(execution.traceParent),
    name: `pipeline ${pipelineName}`,
    kind: SPAN_KIND_INTERNAL,
    start: execution.startTime,
    end: execution.lastUpdateTime,
    attributes: attributes({ 'nagare.pipeline': pipelineName, 'nagare.execution_id': id, 'nagare.status': execution.status, 'nagare.trigger': execution.trigger.type }),
    status: status(execution.status === 'Succeeded', `${execution.status}${execution.statusSummary ? `: ${execution.statusSummary}` : ''}`),
  });
}

/** An ended action attempt's span, under its execution's. */
export function actionSpan(pipelineName: string, execution: ExecutionState, run: ActionRun): OtlpSpan {
  const id = execution.pipelineExecutionId;
  const provider = execution.definition.stages.find((s) => s.name === run.stage)?.actions.find((a) => a.name === run.action)?.actionTypeId.provider;
  return span({
    traceId: executionTraceId(id, execution.traceParent),
    spanId: actionSpanId(id, run.stage, run.action, run.attempt),
    parentSpanId: executionSpanId(id),
    name: `action ${run.stage}/${run.action}`,
    kind: SPAN_KIND_INTERNAL,
    start: run.startTime,
    end: run.lastUpdateTime,
    attributes: attributes({ 'nagare.pipeline': pipelineName, 'nagare.execution_id': id, 'nagare.stage': run.stage, 'nagare.action': run.action, 'nagare.attempt': run.attempt, 'nagare.provider': provider, 'nagare.status': run.status, 'nagare.external_execution_id': run.externalExecutionId }),
    status: status(run.status === 'Succeeded', `${run.status}${run.errorDetails ? `: ${run.errorDetails.message}` : ''}`),
  });
}

/** A completed build's span, under its action attempt's (or its API caller's); undefined for a build with no trace. */
export function buildSpan(build: StoredBuild): OtlpSpan | undefined {
  const { job } = build.record;
  const traceId = traceIdOf(job.traceParent);
  const spanId = spanIdOf(job.traceParent);
  if (traceId === undefined || spanId === undefined) return undefined;
  return span({
    traceId,
    spanId,
    parentSpanId: job.parentSpanId,
    name: `build ${build.projectName}`,
    kind: SPAN_KIND_INTERNAL,
    start: build.startTime,
    end: build.endTime ?? build.startTime,
    attributes: attributes({ 'nagare.project': build.projectName, 'nagare.build_id': build.id, 'nagare.build_number': build.buildNumber, 'nagare.status': build.buildStatus, 'nagare.initiator': job.initiator }),
    status: status(build.buildStatus === 'SUCCEEDED', build.buildStatus),
  });
}

/** An ended deployment's span, under its action attempt's when a pipeline started it. */
export function deploymentSpan(deployment: Deployment): OtlpSpan | undefined {
  const traceId = traceIdOf(deployment.traceParent);
  const spanId = spanIdOf(deployment.traceParent);
  if (traceId === undefined || spanId === undefined) return undefined;
  const { rollout } = deployment;
  return span({
    traceId,
    spanId,
    parentSpanId: deployment.parentSpanId,
    name: `deployment ${deployment.applicationName}/${deployment.deploymentGroupName}`,
    kind: SPAN_KIND_INTERNAL,
    start: rollout.startTime ?? rollout.createTime,
    end: rollout.completeTime ?? rollout.startTime ?? rollout.createTime,
    attributes: attributes({ 'nagare.application': deployment.applicationName, 'nagare.deployment_group': deployment.deploymentGroupName, 'nagare.deployment_id': deployment.deploymentId, 'nagare.status': rollout.status, 'nagare.instances': rollout.instances.length }),
    status: status(rollout.status === 'Succeeded', `${rollout.status}${rollout.errorInformation ? `: ${rollout.errorInformation.code}` : ''}`),
  });
}

/**
 * An ended instance of a deployment: its span under the deployment's, and one child span per
 * lifecycle event it ran (Skipped and never-started events have none). Diagnostics go as the
 * error code and the script's name only: their message and log tail are the hook's output.
 */
export function instanceSpans(deployment: Deployment, instance: RolloutInstance): OtlpSpan[] {
  const traceId = traceIdOf(deployment.traceParent);
  const deploymentSpanId = spanIdOf(deployment.traceParent);
  if (traceId === undefined || deploymentSpanId === undefined || instance.startTime === undefined) return [];
  const { deploymentId } = deployment;
  const end = instance.endTime ?? deployment.rollout.completeTime ?? instance.startTime;
  const parentSpanId = instanceSpanId(deploymentId, instance.instanceName);
  const events = instance.lifecycleEvents.flatMap((event): OtlpSpan[] => {
    if (event.startTime === undefined || event.status === 'Skipped' || event.status === 'Pending') return [];
    const code = event.diagnostics?.errorCode;
    return [span({
      traceId,
      spanId: lifecycleEventSpanId(deploymentId, instance.instanceName, event.lifecycleEventName),
      parentSpanId,
      name: event.lifecycleEventName,
      kind: SPAN_KIND_INTERNAL,
      start: event.startTime,
      end: event.endTime ?? end,
      attributes: attributes({ 'nagare.deployment_id': deploymentId, 'nagare.instance': instance.instanceName, 'nagare.lifecycle_event': event.lifecycleEventName, 'nagare.status': event.status, 'nagare.error_code': code, 'nagare.script': event.diagnostics?.scriptName || undefined }),
      status: status(event.status === 'Succeeded', `${event.status}${code ? `: ${code}` : ''}`),
    })];
  });
  const failure = instance.failure?.code ?? instance.lifecycleEvents.find((e) => e.status === 'Failed')?.lifecycleEventName;
  return [
    span({
      traceId,
      spanId: parentSpanId,
      parentSpanId: deploymentSpanId,
      name: `instance ${instance.instanceName}`,
      kind: SPAN_KIND_INTERNAL,
      start: instance.startTime,
      end,
      attributes: attributes({ 'nagare.deployment_id': deploymentId, 'nagare.instance': instance.instanceName, 'nagare.status': instance.status, 'nagare.failure': instance.failure?.code }),
      status: status(instance.status === 'Succeeded', `${instance.status}${failure ? `: ${failure}` : ''}`),
    }),
    ...events,
  ];
}

/** The request body of `POST /v1/traces`: one resource (this server), one scope. */
export function exportTraceServiceRequest(spans: readonly OtlpSpan[], serviceName: string): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes({ 'service.name': serviceName }) },
        scopeSpans: [{ scope: { name: 'nagare' }, spans }],
      },
    ],
  };
}
