/**
 * The environment a shell build starts from (issue 7, finding 6): the agent's own, less what is
 * nagare's or the agent's credentials. Builds never see `NAGARE_*` variables, the AWS credentials
 * the agent process was started with, or any variable holding the agent's token, whatever its
 * name. PATH, LANG, TZ and the like stay; HOME, USER and LOGNAME become the build user's.
 * Docker builds start from the image's environment and get none of this.
 */
import type { BuildUser } from './build-user.js';

/** AWS credentials of the agent process itself; a build's own come from its project or buildspec. */
const AGENT_CREDENTIALS = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN']);

export function shellBuildEnvironment(host: Readonly<Record<string, string>>, secrets: readonly string[], user: BuildUser | undefined): Record<string, string> {
  const held = secrets.filter((secret) => secret.length >= 8);
  const kept = Object.entries(host).filter(([name, value]) => !name.startsWith('NAGARE_') && !AGENT_CREDENTIALS.has(name) && !held.some((secret) => value.includes(secret)));
  const environment = Object.fromEntries(kept);
  if (user) Object.assign(environment, { HOME: user.home, USER: user.name, LOGNAME: user.name });
  return environment;
}
