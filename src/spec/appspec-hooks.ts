/**
 * The `hooks` block of an EC2/on-premises appspec (reference §2.4): a map from lifecycle event to
 * a list of scripts, each with `location`, `timeout` and `runas`.
 */
import { isSeq } from 'yaml';
import {
  DEFAULT_HOOK_TIMEOUT_SECONDS, LIFECYCLE_EVENTS, MAX_HOOK_TIMEOUT_SECONDS, SCRIPTABLE_EVENTS, UNSCRIPTABLE_EVENTS,
  type AppSpec, type HookScript, type LifecycleEventName,
} from '../core/appspec.js';
import { requiredText, revisionPath } from './appspec-values.js';
import { didYouMean } from './did-you-mean.js';
import { describe, type Field, type SpecReader } from './yaml-reader.js';

const SCRIPT_KEYS = ['location', 'timeout', 'runas'] as const;

export function readHooks(reader: SpecReader, hooks: Field): AppSpec['hooks'] {
  const result: Partial<Record<LifecycleEventName, readonly HookScript[]>> = {};
  for (const field of reader.fields(hooks.value, hooks.path, '`hooks`', hooks.keyNode) ?? []) {
    const event = LIFECYCLE_EVENTS.find((name) => name === field.key);
    if (event === undefined || UNSCRIPTABLE_EVENTS.includes(event)) {
      const why = event === undefined
        ? `\`${field.key}\` is not a lifecycle event of an EC2/on-premises deployment.${didYouMean(field.key, SCRIPTABLE_EVENTS)}`
        : `\`${field.key}\` is done by the agent itself and takes no scripts.`;
      reader.report('SPEC_APPSPEC_UNKNOWN_HOOK', `${why} Hooks may name ${SCRIPTABLE_EVENTS.join(', ')}.`, field.keyNode, field.path, { event: field.key });
      continue;
    }
    const scripts = readScripts(reader, field);
    const total = scripts.reduce((sum, script) => sum + script.timeout, 0);
    // The agent sums the timeouts only when every script names one; the default alone is the hour.
    if (total > MAX_HOOK_TIMEOUT_SECONDS && scripts.every((script) => script.timeoutWritten)) {
      reader.report('SPEC_INVALID_VALUE', `The scripts of ${event} have timeouts adding up to ${total} seconds; all the scripts of one lifecycle event may take at most ${MAX_HOOK_TIMEOUT_SECONDS} seconds.`, field.keyNode, field.path);
    }
    result[event] = scripts.map(({ timeoutWritten: _written, ...script }) => script);
  }
  return result;
}

interface ReadScript extends HookScript {
  readonly timeoutWritten: boolean;
}

function readScripts(reader: SpecReader, event: Field): ReadScript[] {
  if (event.value === undefined) return [];
  if (!isSeq(event.value)) {
    reader.report('SPEC_INVALID_TYPE', `The ${event.key} hook must be a list of \`- location: script.sh\` entries, not ${describe(event.value)}.`, event.valueNode, event.path);
    return [];
  }
  const scripts: ReadScript[] = [];
  event.value.items.forEach((itemNode, index) => {
    const script = readScript(reader, itemNode, `${event.path}[${index}]`, event.key);
    if (script !== undefined) scripts.push(script);
  });
  return scripts;
}

function readScript(reader: SpecReader, itemNode: unknown, path: string, event: string): ReadScript | undefined {
  const fields = reader.fields(itemNode, path, `Each script of ${event}`, itemNode);
  if (fields === undefined) return undefined;
  let location: string | undefined;
  let timeout = DEFAULT_HOOK_TIMEOUT_SECONDS;
  let runas: string | undefined;
  let valid = true;
  for (const field of fields) {
    switch (field.key) {
      case 'location': location = readLocation(reader, field); valid &&= location !== undefined; break;
      case 'timeout': {
        const seconds = readTimeout(reader, field);
        if (seconds === undefined) valid = false;
        else timeout = seconds;
        break;
      }
      case 'runas':
        runas = requiredText(reader, field, '`runas`', 'a Linux user name, or remove the key to run as the agent\'s user');
        valid &&= runas !== undefined;
        break;
      case 'sudo':
        reader.report('UNSUPPORTED_FEATURE', '`sudo` is an undocumented key of the CodeDeploy agent that nagare does not support; use `runas` to choose the user.', field.keyNode, field.path, { feature: 'sudo' });
        break;
      default: reader.unknownKey(field, SCRIPT_KEYS, `a script of ${event}`);
    }
  }
  if (!fields.some((field) => field.key === 'location')) {
    reader.report('SPEC_MISSING_KEY', `A script of ${event} has no \`location\`; write the script's path in the revision, such as \`location: scripts/start.sh\`.`, itemNode, path, { key: 'location' });
    return undefined;
  }
  const timeoutWritten = fields.some((field) => field.key === 'timeout');
  return valid && location !== undefined ? { location, timeout, runas, position: reader.positionOf(itemNode, path), timeoutWritten } : undefined;
}

function readLocation(reader: SpecReader, field: Field): string | undefined {
  const text = requiredText(reader, field, '`location`', 'the script\'s path in the revision, such as scripts/start.sh');
  if (text === undefined) return undefined;
  const location = revisionPath(text);
  if (location === undefined || location === '.') {
    reader.report('SPEC_APPSPEC_PATH_ESCAPES', `\`location: ${text}\` is not a file inside the revision; a hook runs a script shipped in the revision (a leading / is the revision's root).`, field.valueNode, field.path, { path: text });
    return undefined;
  }
  return location;
}

function readTimeout(reader: SpecReader, field: Field): number | undefined {
  const text = reader.text(field, '`timeout`');
  if (text === undefined) {
    if (field.value === undefined) reader.report('SPEC_INVALID_VALUE', `\`timeout\` is empty; write a number of seconds from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}, or remove it for the default ${DEFAULT_HOOK_TIMEOUT_SECONDS}.`, field.valueNode, field.path);
    return undefined;
  }
  const seconds = /^[0-9]{1,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_HOOK_TIMEOUT_SECONDS) {
    reader.report('SPEC_INVALID_VALUE', `\`timeout: ${text}\` is not a whole number of seconds from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}.`, field.valueNode, field.path, { timeout: text });
    return undefined;
  }
  return seconds;
}
