/**
 * Parameters (after SSM Parameter Store) and secrets (after Secrets Manager) that buildspecs and
 * typed project variables refer to. SecureString parameters and all secrets are sealed with the
 * server key before they reach the store, and no list call ever returns a value.
 *
 * Errors: API_ALREADY_EXISTS (put without overwrite), API_NOT_FOUND, API_INVALID_INPUT.
 */
import { NagareError } from '../../core/errors.js';
import type { ParameterType, StoredParameter } from '../../core/store.js';
import type { ServerContext } from '../server-context.js';

export type Namespace = 'parameter' | 'secret';

const NAME = /^[A-Za-z0-9_.\-/]{1,1024}$/;

export interface ParameterSummary {
  readonly name: string;
  readonly type: ParameterType | 'Secret';
  readonly version: number;
  readonly lastModified: number;
}

export class ParametersService {
  constructor(private readonly context: ServerContext) {}

  async put(namespace: Namespace, name: string, value: string, options: { type?: ParameterType; overwrite?: boolean } = {}): Promise<{ version: number }> {
    if (!NAME.test(name)) throw new NagareError('API_INVALID_INPUT', `Name '${name}' may use letters, digits and _ . - / only (1–1024 characters)`);
    const type: ParameterType = namespace === 'secret' ? 'SecureString' : options.type ?? 'String';
    const sealed = type === 'SecureString' ? this.context.secrets.seal(value) : value;
    try {
      const version = await this.context.store.parameters.put(namespace, { name, type, value: sealed, lastModified: this.context.clock() }, options.overwrite ?? false);
      return { version };
    } catch (error) {
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') {
        throw new NagareError('API_ALREADY_EXISTS', `${namespace === 'secret' ? 'Secret' : 'Parameter'} ${name} already exists; pass overwrite to replace it`);
      }
      throw error;
    }
  }

  /** The value itself: only for `parameter get` / `secret get` by an administrator and for agents. */
  async get(namespace: Namespace, name: string): Promise<StoredParameter> {
    const stored = await this.context.store.parameters.get(namespace, name);
    if (!stored) throw new NagareError('API_NOT_FOUND', `${namespace === 'secret' ? 'Secret' : 'Parameter'} not found: ${name}`);
    return stored.type === 'SecureString' ? { ...stored, value: this.context.secrets.open(stored.value) } : stored;
  }

  async list(namespace: Namespace): Promise<ParameterSummary[]> {
    const items = await this.context.store.parameters.list(namespace);
    return items.map((p) => ({ name: p.name, type: namespace === 'secret' ? 'Secret' : p.type, version: p.version, lastModified: p.lastModified }));
  }

  async delete(namespace: Namespace, name: string): Promise<void> {
    if (!(await this.context.store.parameters.delete(namespace, name))) {
      throw new NagareError('API_NOT_FOUND', `${namespace === 'secret' ? 'Secret' : 'Parameter'} not found: ${name}`);
    }
  }
}
