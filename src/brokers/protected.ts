/**
 * The protected Mosquitto: only the users of scripts/mosquitto-protected-access.json get in, each limited
 * to its topics, with the settings of scripts/mosquitto-protected.conf. Their passwords are hashed here
 * into the file Mosquitto's dynamic security plugin reads.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../core/errors.js';
import { packageRoot } from '../package-root.js';
import { findDynamicSecurityPlugin, PrivateMosquitto, projectConfig } from './mosquitto.js';

export const protectedUsers = { producer: 'tutorial-producer', consumer: 'tutorial-consumer' } as const;

interface AccessClient {
  username: string;
  [field: string]: unknown;
}

interface AccessFile {
  clients: AccessClient[];
  [field: string]: unknown;
}

/** The plugin's own scheme: PBKDF2 with SHA-512, a 12-byte salt, 101 rounds, all base64. */
function hashed(password: string): { password: string; salt: string; iterations: number } {
  const salt = randomBytes(12);
  const iterations = 101;
  return { password: pbkdf2Sync(password, salt, iterations, 64, 'sha512').toString('base64'), salt: salt.toString('base64'), iterations };
}

/** The access rules with every user given this password, as the dynamic security plugin reads them. */
export function dynamicSecurityConfig(password: string): string {
  const access = JSON.parse(readFileSync(join(packageRoot, 'scripts', 'mosquitto-protected-access.json'), 'utf8')) as AccessFile;
  return JSON.stringify({ ...access, clients: access.clients.map((client) => ({ ...client, ...hashed(password) })) }, null, 2);
}

export interface ProtectedOptions {
  /** Every user's password. */
  password: string;
  port?: number;
  listenHost?: string;
  /** Where sessions and the plugin's file go (default: the broker's temporary folder). */
  dataDir?: string;
  /** Lines after the protected config's own (e.g. TLS for the listener). */
  config?: (dir: string) => string[];
}

export function protectedMosquitto(options: ProtectedOptions): PrivateMosquitto {
  const plugin = findDynamicSecurityPlugin();
  if (!plugin) throw new CliError("Mosquitto's dynamic security plugin (mosquitto_dynamic_security.so) is not installed: it comes with Debian's mosquitto package");
  return new PrivateMosquitto({
    port: options.port,
    listenHost: options.listenHost,
    persistenceLocation: options.dataDir,
    config: (dir) => {
      const securityFile = join(options.dataDir ?? dir, 'dynamic-security.json');
      writeFileSync(securityFile, dynamicSecurityConfig(options.password), { mode: 0o600 });
      return [...projectConfig('mosquitto-protected.conf'), `plugin ${plugin}`, `plugin_opt_config_file ${securityFile}`, ...(options.config?.(dir) ?? [])];
    },
  });
}
