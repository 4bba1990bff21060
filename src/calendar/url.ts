// The rules a calendar address must meet before TrainerHub fetches it (server-side request forgery):
// https only (plain http in development), no credentials, no port but the scheme's, and never a host
// that names this machine, a private network or a cloud metadata address. Applied when a connection
// is saved and again to every redirect a sync follows.

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** Hosts that are never a public calendar, by name. */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa|lan)$/i;

/** IPv4 ranges that are not the public internet (RFC 6890): loopback, private, link-local, CGNAT, … */
const PRIVATE_V4: [number, number][] = [
  [0x00000000, 8], // 0.0.0.0/8 "this network"
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // 127/8 loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata)
  [0xac100000, 12], // 172.16/12
  [0xc0000000, 24], // 192.0.0/24
  [0xc0000200, 24], // 192.0.2/24 documentation
  [0xc0a80000, 16], // 192.168/16
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xc6336400, 24], // 198.51.100/24 documentation
  [0xcb007100, 24], // 203.0.113/24 documentation
  [0xe0000000, 3], // 224/3 multicast and reserved, 255.255.255.255 included
];

function privateV4(host: string): boolean {
  const parts = host.split('.').map(Number);
  const n = (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
  return PRIVATE_V4.some(([base, bits]) => n >>> (32 - bits) === base >>> (32 - bits));
}

/** An IPv6 literal (the URL parser has already normalised it) that is not a public unicast address. */
function privateV6(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === '::' || h === '::1') return true;
  // IPv4-mapped, -translated or -compatible (::ffff:a.b.c.d is printed as ::ffff:xxxx:xxxx, ::a.b.c.d
  // as ::xxxx:xxxx): judge the IPv4 part
  const mapped = /^::(?:ffff:(?:0:)?)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (mapped) {
    const hi = Number.parseInt(mapped[1] ?? '0', 16);
    const lo = Number.parseInt(mapped[2] ?? '0', 16);
    return privateV4(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  // unique local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast ff00::/8, NAT64 and 6to4 embeds
  // Teredo (2001::/32) and the discard prefix (100::/64) tunnel or drop, never a calendar host
  return /^(f[c-d]|fe[89ab]|fe[c-f]|ff|64:ff9b:|2002:|2001:db8:|2001:0?:|100:)/.test(h);
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The address to fetch, or why not. `webcal://` is read as `https://`; `allowPlain` (development
 * only) also accepts `http://` and local hosts, so a calendar served on this machine can be tried.
 */
export function checkCalendarUrl(raw: string, allowPlain: boolean): UrlCheck {
  const text = raw.trim().replace(/^webcals?:\/\//i, 'https://');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'must be a full https:// address of an iCalendar (.ics) feed.' };
  }
  const scheme = url.protocol;
  if (scheme !== 'https:' && !(allowPlain && scheme === 'http:'))
    return { ok: false, reason: `must use https:// (or webcal://), not ${scheme.replace(':', '')}.` };
  if (url.username || url.password) return { ok: false, reason: 'must not carry a user name or password.' };
  if (allowPlain) return { ok: true, url };
  if (url.port) return { ok: false, reason: 'must use the standard https port.' };
  // "localhost." is "localhost": a name's final dot is dropped before it is judged
  const host = url.hostname.replace(/\.$/, '');
  const local = host.startsWith('[')
    ? privateV6(host)
    : LOCAL_NAMES.test(host) || !host.includes('.') || (IPV4.test(host) && privateV4(host));
  if (local) return { ok: false, reason: 'must point at a public calendar host, not a local or private address.' };
  return { ok: true, url };
}

/** What a saved address is shown as: its host and its last 6 characters, never the whole secret. */
export const urlHint = (url: URL): string => `${url.host} …${url.href.slice(-6)}`;
