/** Certificates made for a test with openssl: a CA, a broker certificate it signs, a client certificate. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing here: trusting it alone must not be enough. */
  otherCa: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate signed by the CA (or self-signed when caName is undefined). */
function certificate(dir: string, name: string, subject: string, caName?: string, altNames?: string): void {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key];
  if (caName === undefined) {
    openssl(['req', '-x509', ...ecKey, '-out', cert, '-days', '2', '-subj', subject, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return;
  }
  const request = join(dir, `${name}.csr`);
  openssl(['req', ...ecKey, '-out', request, '-subj', subject]);
  const extensions = join(dir, `${name}.ext`);
  writeFileSync(extensions, altNames ? `subjectAltName=${altNames}\n` : 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', request, '-CA', join(dir, `${caName}.pem`), '-CAkey', join(dir, `${caName}.key`), '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', extensions]);
}

export function makeCertificates(dir: string): TestCertificates {
  certificate(dir, 'ca', '/CN=mqtt-persistent-sessions test CA');
  certificate(dir, 'other-ca', '/CN=some other CA');
  // Issued for the name "localhost" only: connecting by address is a name mismatch.
  certificate(dir, 'server', '/CN=localhost', 'ca', 'DNS:localhost');
  certificate(dir, 'client', '/CN=tutorial-consumer', 'ca');
  return {
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    otherCa: join(dir, 'other-ca.pem'),
  };
}
