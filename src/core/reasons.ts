/** What the broker's reason codes and return codes mean to a person running these commands. */
import type { LinkReason } from './events.js';

const connackV4: Record<number, string> = {
  1: 'the broker does not accept MQTT 3.1.1 (unacceptable protocol version): connect with -V 5',
  2: 'the client identifier was rejected',
  3: 'the broker is unavailable',
  4: 'bad user name or password',
  5: 'not authorised (a wrong user name or password, or a user the broker does not let in)',
};

const connackV5: Record<number, string> = {
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'the broker does not accept MQTT 5 (unsupported protocol version): connect with -V 4',
  0x85: 'the client identifier is not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorised (a wrong user name or password, or a user the broker does not let in)',
  0x88: 'the broker is unavailable',
  0x89: 'the broker is busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x90: 'topic name invalid',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9f: 'connection rate exceeded',
};

/**
 * A broker that speaks only MQTT 3.1.1 (NATS, RabbitMQ's plugin) answers an MQTT 5 CONNECT with a
 * 3.1.1 CONNACK whose return code is 1, "unacceptable protocol version".
 */
const onlyV311 = 'the broker speaks only MQTT 3.1.1 and refused MQTT 5 (unacceptable protocol version): connect with -V 4';

export function explainConnackCode(code: number, protocolVersion: 4 | 5): string {
  if (protocolVersion === 5 && code === 1) return onlyV311;
  const table = protocolVersion === 5 ? connackV5 : connackV4;
  return table[code] ?? `reason code ${code}`;
}

/**
 * Refusals that retrying cannot fix: stop and say why instead of looping. A refused protocol version
 * is one: the broker will refuse it again.
 */
export function isFatalConnackCode(code: number, protocolVersion: 4 | 5): boolean {
  if (protocolVersion === 4) return code >= 1 && code <= 5;
  if (code === 1) return true;
  return code >= 0x80 && code !== 0x88 && code !== 0x89 && code !== 0x9f;
}

const disconnectV5: Record<number, { text: string; fatal: boolean }> = {
  0x00: { text: 'normal disconnection', fatal: false },
  0x8b: { text: 'the broker is shutting down', fatal: false },
  0x8d: { text: 'keep-alive timeout', fatal: false },
  0x8e: {
    text: 'session taken over: another client connected with the same client id (stopping here, so that the two do not take the session from each other in a loop)',
    fatal: true,
  },
  0x87: { text: 'not authorised', fatal: true },
  0x93: { text: 'receive maximum exceeded', fatal: false },
  0x97: { text: 'quota exceeded', fatal: false },
  0x9c: { text: 'use another server', fatal: true },
  0x9d: { text: 'server moved', fatal: true },
  0x95: { text: 'packet too large', fatal: false },
  0x99: { text: 'payload format invalid', fatal: false },
  0xa2: { text: 'wildcard subscriptions not supported', fatal: true },
};

export function explainDisconnect(code: number): { text: string; fatal: boolean } {
  return disconnectV5[code] ?? { text: `the broker disconnected with reason code ${code}`, fatal: false };
}

/** Reason codes of a SUBACK or PUBACK that refuses what was asked (MQTT 5). */
const refusals: Record<number, string> = {
  0x80: 'unspecified error',
  0x83: 'implementation specific error',
  0x87: "not authorised (the broker's access rules do not allow it)",
  0x8f: 'topic filter invalid',
  0x90: 'topic name invalid',
  0x91: 'packet identifier in use',
  0x97: 'quota exceeded',
  0x99: 'payload format invalid',
  0x9e: 'shared subscriptions not supported',
  0xa1: 'subscription identifiers not supported',
  0xa2: 'wildcard subscriptions not supported',
};

export function explainRefusal(code: number): string {
  return refusals[code] ?? `reason code ${code}`;
}

/** The keep-alive timed out: nothing came back from the broker, the link is dead (often half-open). */
export function explainKeepaliveTimeout(keepaliveSeconds: number): string {
  return `no answer from the broker within 1.5 times the keep-alive (${keepaliveSeconds * 1.5} s): the link is dead`;
}

/** Node's codes for a broker certificate that cannot be trusted: retrying cannot fix any of them. */
const untrustedCertificateCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);

/**
 * Why a secure connection cannot be made, when retrying cannot change it (the broker's certificate is
 * not trusted, or the broker refuses this client's); undefined for any other error.
 */
export function explainTlsError(error: Error & { code?: unknown }, host: string): string | undefined {
  switch (error.code) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the broker's certificate is not issued for ${host} (${error.message.replace(/:\s*$/, '')}): connect with a host name the certificate names`;
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
      return 'the broker asks for a client certificate: give it with --cert FILE and --key FILE';
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
    case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN':
    case 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED':
      return 'the broker does not accept this client certificate (--cert): it must be signed by a CA the broker trusts';
    case 'CERT_HAS_EXPIRED':
      return "the broker's certificate has expired";
    case 'CERT_NOT_YET_VALID':
      return "the broker's certificate is not valid yet (check this machine's clock)";
  }
  if (typeof error.code === 'string' && untrustedCertificateCodes.has(error.code)) {
    return `the broker's certificate is not signed by a trusted CA (${error.message}): give the CA certificate that signed it with --ca FILE`;
  }
  return undefined;
}

/** Why a link failed, in words (the commands show it; the JSON carries the LinkReason itself). */
export function describeLinkReason(reason: LinkReason): string {
  switch (reason.code) {
    case 'refused':
      return `refused the connection: ${explainConnackCode(reason.connackCode, reason.protocolVersion)}`;
    case 'keepalive-timeout':
      return explainKeepaliveTimeout(reason.keepalive);
    case 'disconnected':
      return explainDisconnect(reason.reasonCode).text;
    case 'socket-error':
      return reason.error;
    // Some brokers close an MQTT 5 CONNECT without a word (RabbitMQ 3.10 speaks only 3.1.1).
    case 'no-connack':
      return reason.protocolVersion === 5
        ? 'the broker closed the connection without answering the CONNECT; a broker that speaks only MQTT 3.1.1 (RabbitMQ 3.10) does so to MQTT 5: try -V 4'
        : 'the broker closed the connection without answering the CONNECT';
    case 'no-answer':
      return 'no answer';
    case 'connection-lost':
      return 'connection lost';
  }
}
