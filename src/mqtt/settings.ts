/**
 * Connection settings: the options both commands share, checked and turned into what a connection
 * needs (URL, TLS files, credentials). Bad values are usage errors, found before anything is sent.
 */
import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import { UsageError, describeError } from '../core/errors.js';
import type { SettingWarning } from '../core/events.js';

export interface ConnectionOptions {
  url: string;
  id?: string;
  protocolVersion: 4 | 5;
  keepalive: number;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  connectTimeout?: number;
}

/** One broker, or one node of a cluster. */
export interface BrokerAddress {
  url: URL;
  host: string;
  port: number;
  secure: boolean;
}

export interface ConnectionSettings {
  /** The brokers to try, in order: the first that answers, and the next when its node is lost. */
  servers: BrokerAddress[];
  clientId: string;
  protocolVersion: 4 | 5;
  keepalive: number;
  username?: string;
  password?: string;
  tls: tls.ConnectionOptions;
  connectTimeoutMs?: number;
  /** Things a person must be told before connecting (e.g. certificate checks turned off). */
  warnings: SettingWarning[];
}

/** The URL as it may be shown: its password replaced by ***, even when the rest does not parse. */
export function maskUrl(url: URL | string): string {
  if (typeof url === 'string' && !URL.canParse(url)) return url.replace(/:[^:@/]*@/g, ':***@');
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString().replace(/\/$/, '');
}

/** A list of URLs separated by commas (the nodes of a cluster), each masked. */
export function maskUrls(list: string): string {
  return list.split(',').map(maskUrl).join(',');
}

function readPem(file: string | undefined, what: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${file}: ${describeError(error)}`);
  }
}

function brokerAddress(raw: string): BrokerAddress {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`invalid broker URL '${raw}': expected mqtt://host:port or mqtts://host:port`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'mqtt' && scheme !== 'mqtts' && scheme !== 'tcp' && scheme !== 'ssl') {
    throw new UsageError(`unsupported URL scheme '${scheme}://' in ${maskUrl(url)}: use mqtt:// or mqtts://`);
  }
  if (!url.hostname) throw new UsageError(`the broker URL ${maskUrl(url)} names no host`);
  const secure = scheme === 'mqtts' || scheme === 'ssl';
  return { url, host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : secure ? 8883 : 1883, secure };
}

/** The URLs of --url: one, or several separated by commas (the nodes of a cluster). */
export function brokerAddresses(list: string): BrokerAddress[] {
  const parts = list.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) throw new UsageError(`invalid broker URL list '${list}': an empty entry between commas`);
  return parts.map(brokerAddress);
}

export function connectionSettings(options: ConnectionOptions, clientId: string): ConnectionSettings {
  const servers = brokerAddresses(options.url);
  const tlsFiles = options.ca ?? options.cert ?? options.key;
  if (tlsFiles && servers.some((server) => !server.secure)) throw new UsageError('--ca, --cert and --key need mqtts:// URLs');
  // Credentials in the first URL that carries them serve every node.
  const withUser = servers.find((server) => server.url.username);
  const username = options.username ?? (withUser ? decodeURIComponent(withUser.url.username) : undefined);
  const password = options.password ?? (withUser?.url.password ? decodeURIComponent(withUser.url.password) : undefined);
  const secure = servers.some((server) => server.secure);
  return {
    servers,
    clientId,
    protocolVersion: options.protocolVersion,
    keepalive: options.keepalive,
    username,
    password,
    tls: {
      ca: readPem(options.ca, 'CA file'),
      cert: readPem(options.cert, 'certificate file'),
      key: readPem(options.key, 'key file'),
      rejectUnauthorized: !options.insecure,
    },
    connectTimeoutMs: options.connectTimeout === undefined ? undefined : options.connectTimeout * 1000,
    warnings: options.insecure && secure ? [{ code: 'insecure-tls' }] : [],
  };
}
