/**
 * The `debug` package as mqtt-packet and MQTT.js get it in the bundled commands (see scripts/build.ts).
 * With DEBUG unset, a logger that does nothing: the package's own, even disabled, gathers its arguments
 * into an array at each call, and mqtt-packet calls it several times per packet, about a quarter of what
 * a drain allocates. With DEBUG set, the package itself, so that DEBUG=mqttjs* and mqtt-packet* log as
 * they always did.
 */
'use strict';

function quietDebug(namespace) {
  const log = () => {};
  log.namespace = namespace;
  log.enabled = false;
  log.extend = (suffix, delimiter = ':') => quietDebug(`${namespace}${delimiter}${suffix}`);
  return log;
}
quietDebug.enabled = () => false;

module.exports = process.env.DEBUG ? require('debug') : quietDebug;
