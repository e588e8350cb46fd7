/**
 * The `permissions` block of a Linux appspec (reference §2.3): which installed files and
 * directories get which mode, owner, group, ACLs and SELinux context.
 */
import { isSeq } from 'yaml';
import type { AppSpec, PermissionSpec, PermissionType, SelinuxContext } from '../core/appspec.js';
import { didYouMean } from './did-you-mean.js';
import { instancePath, requiredText } from './appspec-values.js';
import { describe, type Field, type SpecReader } from './yaml-reader.js';

const PERMISSION_KEYS = ['object', 'pattern', 'except', 'owner', 'group', 'mode', 'acls', 'context', 'type'] as const;
const CONTEXT_KEYS = ['user', 'type', 'range'] as const;
const TYPES: readonly PermissionType[] = ['file', 'directory'];
/** `[d:]u|g|m|o:[name]:perms`, as setfacl reads one entry. */
const ACL_ENTRY = /^(d(?:efault)?:)?(u|user|g|group|m|mask|o|other):([^:]*):([rwxX-]{1,3}|[0-7])$/;

export function readPermissions(reader: SpecReader, field: Field): AppSpec['permissions'] {
  if (field.value === undefined) return [];
  if (!isSeq(field.value)) {
    reader.report('SPEC_INVALID_TYPE', `\`permissions\` must be a list of \`- object: …\` entries, not ${describe(field.value)}.`, field.valueNode, field.path);
    return [];
  }
  const result: PermissionSpec[] = [];
  const seen = new Set<string>();
  field.value.items.forEach((itemNode, index) => {
    const path = `permissions[${index}]`;
    const permission = readPermission(reader, itemNode, path);
    if (permission === undefined) return;
    const key = `${permission.object}\n${permission.pattern}`;
    if (seen.has(key)) {
      reader.report('SPEC_APPSPEC_CONFLICT', `Two \`permissions\` entries set \`${permission.object}\` with pattern \`${permission.pattern}\`; the agent refuses to set permissions twice on one path, so merge them.`, itemNode, path);
    }
    seen.add(key);
    result.push(permission);
  });
  return result;
}

interface Draft {
  object?: string | undefined;
  pattern: string;
  except: string[];
  owner?: string | undefined;
  group?: string | undefined;
  mode?: number | undefined;
  acls: string[];
  context?: SelinuxContext | undefined;
  type: PermissionType[];
}

function readPermission(reader: SpecReader, itemNode: unknown, path: string): PermissionSpec | undefined {
  const fields = reader.fields(itemNode, path, 'Each item of `permissions`', itemNode);
  if (fields === undefined) return undefined;
  const draft: Draft = { pattern: '**', except: [], acls: [], type: [...TYPES] };
  const before = reader.errors.length;
  for (const field of fields) {
    switch (field.key) {
      case 'object': draft.object = readObject(reader, field); break;
      case 'pattern': draft.pattern = readPattern(reader, field) ?? '**'; break;
      case 'except': draft.except = readNames(reader, field, '`except`'); break;
      case 'owner': draft.owner = requiredText(reader, field, '`owner`', 'a user name, or remove the key to leave owners alone'); break;
      case 'group': draft.group = requiredText(reader, field, '`group`', 'a group name, or remove the key to leave groups alone'); break;
      case 'mode': draft.mode = readMode(reader, field); break;
      case 'acls': draft.acls = readAcls(reader, field); break;
      case 'context': draft.context = readContext(reader, field); break;
      case 'type': draft.type = readTypes(reader, field); break;
      default: reader.unknownKey(field, PERMISSION_KEYS, 'an item of `permissions`');
    }
  }
  if (!fields.some((field) => field.key === 'object')) {
    reader.report('SPEC_MISSING_KEY', 'An item of `permissions` has no `object`; name the installed file or directory it applies to, such as `object: /var/www/html`.', itemNode, path, { key: 'object' });
  }
  if (reader.errors.length > before || draft.object === undefined) return undefined;
  return { ...draft, object: draft.object, owner: draft.owner, group: draft.group, mode: draft.mode, context: draft.context };
}

function readObject(reader: SpecReader, field: Field): string | undefined {
  const text = requiredText(reader, field, '`object`', 'an absolute path on the instance');
  if (text === undefined) return undefined;
  const object = instancePath(text);
  if (object === undefined) {
    reader.report('SPEC_APPSPEC_PATH_ESCAPES', `\`object: ${text}\` is not an absolute path; name the installed file or directory, such as /var/www/html.`, field.valueNode, field.path, { path: text });
  }
  return object;
}

function readPattern(reader: SpecReader, field: Field): string | undefined {
  const text = requiredText(reader, field, '`pattern`', '`"**"` for everything below the object, or a name pattern such as `"*.sh"`');
  if (text !== undefined && text !== '**' && text.includes('/')) {
    reader.report('SPEC_INVALID_VALUE', `\`pattern: ${text}\` has a \`/\`; a pattern other than \`**\` matches the names of the object's direct children only, such as \`"*.sh"\`.`, field.valueNode, field.path);
    return undefined;
  }
  return text;
}

function readNames(reader: SpecReader, field: Field, what: string): string[] {
  const items = reader.textItems(field, what, { scalarAllowed: false }) ?? [];
  for (const item of items) {
    if (item.text.includes('/') || item.text === '') {
      reader.report('SPEC_INVALID_VALUE', `${what} lists \`${item.text}\`; it takes names (or name patterns) of the object's children, without \`/\`.`, item.node, item.path);
    }
  }
  return items.map((item) => item.text);
}

function readMode(reader: SpecReader, field: Field): number | undefined {
  const text = reader.text(field, '`mode`');
  if (text === undefined && field.value !== undefined) return undefined;
  // Numeric modes only, as chmod takes them (644, 0644, 4755); the agent has no symbolic modes.
  if (text === undefined || !/^[0-7]{1,4}$/.test(text)) {
    const hint = text !== undefined && /[ugoa][-+=]/.test(text) ? ' Symbolic modes such as u+x are not supported by CodeDeploy; write the number, e.g. 755.' : ' Write an octal number such as 644 or "0755".';
    reader.report('SPEC_INVALID_VALUE', `\`mode: ${text ?? ''}\` is not a numeric file mode.${hint}`, field.valueNode, field.path, { mode: text ?? '' });
    return undefined;
  }
  return Number.parseInt(text, 8);
}

function readAcls(reader: SpecReader, field: Field): string[] {
  const items = reader.textItems(field, '`acls`', { scalarAllowed: false }) ?? [];
  for (const item of items) {
    const match = ACL_ENTRY.exec(item.text);
    const kind = match?.[2] ?? '';
    const named = (match?.[3] ?? '') !== '';
    if (match === null) {
      reader.report('SPEC_INVALID_VALUE', `\`${item.text}\` is not an ACL entry; write \`u:user:rwx\`, \`g:group:r\` or \`m::rx\` (with \`d:\` in front for a directory's default ACL).`, item.node, item.path);
    } else if (/^(u|user|g|group)$/.test(kind) && !named) {
      reader.report('SPEC_INVALID_VALUE', `\`${item.text}\` names no user or group; the owner's and group's own permissions are set with \`mode\`, an ACL entry names someone, such as \`u:bob:rw\`.`, item.node, item.path);
    }
  }
  return items.map((item) => item.text);
}

function readContext(reader: SpecReader, field: Field): SelinuxContext | undefined {
  let user: string | undefined;
  let type: string | undefined;
  let range = 's0';
  const fields = reader.fields(field.value, field.path, '`context`', field.keyNode) ?? [];
  for (const entry of fields) {
    if (entry.key === 'user') user = requiredText(reader, entry, '`context.user`', 'an SELinux user such as unconfined_u');
    else if (entry.key === 'type') type = requiredText(reader, entry, '`context.type`', 'an SELinux type such as httpd_sys_content_t');
    else if (entry.key === 'range') range = requiredText(reader, entry, '`context.range`', 'an SELinux range such as s0') ?? range;
    else if (entry.key === 'role') reader.report('UNSUPPORTED_FEATURE', '`context.role` is not supported by CodeDeploy; remove it (user, type and range are).', entry.keyNode, entry.path, { feature: 'context.role' });
    else reader.unknownKey(entry, CONTEXT_KEYS, '`context`');
  }
  if (type === undefined) {
    if (!fields.some((entry) => entry.key === 'type')) reader.report('SPEC_MISSING_KEY', '`context` has no `type`; an SELinux context needs at least its type, such as `type: httpd_sys_content_t`.', field.keyNode, field.path, { key: 'type' });
    return undefined;
  }
  return { user, type, range };
}

function readTypes(reader: SpecReader, field: Field): PermissionType[] {
  const read = reader.textItems(field, '`type`', { scalarAllowed: false });
  const items = read ?? [];
  const types: PermissionType[] = [];
  for (const item of items) {
    const type = TYPES.find((known) => known === item.text);
    if (type === undefined) reader.report('SPEC_INVALID_VALUE', `\`${item.text}\` is not a permission type; write \`file\` and/or \`directory\`.${didYouMean(item.text, TYPES)}`, item.node, item.path);
    else types.push(type);
  }
  if (read !== undefined && items.length === 0) {
    reader.report('SPEC_INVALID_VALUE', '`type` is an empty list; write `- file`, `- directory` or both, or remove it for both.', field.valueNode, field.path);
  }
  return types;
}
