/**
 * Whether a mirror URL points back at the server's own machine. A mirror is fetched with the
 * server's rights, so an upstream on loopback (or the cloud metadata address) would let whoever may
 * create a repository read services that trust local callers: refused unless the operator allows
 * local mirrors. Both the literal host and every address it resolves to are checked, so a DNS name
 * that resolves to 127.0.0.1 is caught as well as `127.0.0.1` itself.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** The host named by a git URL (scheme URL or scp-like `user@host:path`); undefined for local paths. */
export function mirrorHost(url: string): string | undefined {
  const scp = /^[A-Za-z0-9._~-]+@([A-Za-z0-9.-]+):[^:]/.exec(url);
  if (scp && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) return scp[1];
  try {
    const host = new URL(url).hostname;
    return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  } catch {
    return undefined;
  }
}

/** True for loopback, unspecified and link-local addresses (IPv4, IPv6 and IPv4-mapped IPv6). */
export function isLocalAddress(address: string): boolean {
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (mapped !== undefined) return isLocalAddress(mapped);
  if (isIP(lower) === 4) {
    const [a, b] = lower.split('.').map(Number);
    return a === 127 || a === 0 || (a === 169 && b === 254);
  }
  if (isIP(lower) === 6) {
    const expanded = expandIpv6(lower);
    // IPv4-mapped in hex form, as the URL parser writes it: ::ffff:7f00:1 is 127.0.0.1.
    const hexMapped = /^0000:0000:0000:0000:0000:ffff:([0-9a-f]{4}):([0-9a-f]{4})$/.exec(expanded);
    if (hexMapped) {
      const [high, low] = [parseInt(hexMapped[1] ?? '0', 16), parseInt(hexMapped[2] ?? '0', 16)];
      return isLocalAddress(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
    }
    return expanded === '0000:0000:0000:0000:0000:0000:0000:0001' || expanded === '0000:0000:0000:0000:0000:0000:0000:0000' || /^fe[89ab]/.test(expanded);
  }
  return false;
}

function expandIpv6(address: string): string {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const middle = Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => '0');
  return [...left, ...middle, ...right].map((group) => group.padStart(4, '0')).join(':');
}

/**
 * Why `host` is local (a loopback name or address, or a name resolving to one), or undefined.
 * A name that does not resolve is not judged here: git's own fetch will fail on it.
 */
export async function localHostProblem(host: string): Promise<string | undefined> {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return `names ${host}, this machine`;
  if (isIP(name) !== 0) return isLocalAddress(name) ? `names ${host}, a loopback, unspecified or link-local address` : undefined;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(name, { all: true, verbatim: true });
  } catch {
    return undefined;
  }
  const local = addresses.find((a) => isLocalAddress(a.address));
  return local === undefined ? undefined : `names ${host}, which resolves to ${local.address} on this machine`;
}
