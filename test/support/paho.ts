/** Python paho (Debian's python3-paho-mqtt, 1.6), a publisher this project did not write. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** Debian's interpreter, which has python3-paho-mqtt, whatever python3 comes first on the PATH. */
const python = '/usr/bin/python3';

/** Why a paho test is skipped, or false to run it; under CI a missing paho fails instead. */
export function pahoSkip(): string | false {
  const probe = spawnSync(python, ['-c', 'import paho.mqtt.client'], { encoding: 'utf8' });
  if (probe.status === 0) return false;
  if (process.env.CI) throw new Error('python3-paho-mqtt is not installed; under CI that is a failure');
  return 'python3-paho-mqtt is not installed (apt-get install python3-paho-mqtt)';
}

/** One message: to TOPIC, its payload; its MQTT 5 user properties, if any. */
export interface PahoMessage {
  topic: string;
  payload: string;
  properties?: Array<[string, string]>;
}

/**
 * Publishes the messages in order at QoS 1 over MQTT 5, each awaited until the broker acknowledged it,
 * as an application would: no producer-id, run-id or sent-at property, only what it is given.
 */
const script = `
import json, sys
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
port, messages = int(sys.argv[1]), json.load(sys.stdin)
client = mqtt.Client(client_id="paho-publisher", protocol=mqtt.MQTTv5)
client.connect("127.0.0.1", port)
client.loop_start()
for message in messages:
    properties = None
    if message.get("properties"):
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = [tuple(pair) for pair in message["properties"]]
    info = client.publish(message["topic"], message["payload"], qos=1, properties=properties)
    info.wait_for_publish(10)
    if not info.is_published():
        sys.exit("not acknowledged: " + message["payload"])
client.disconnect()
client.loop_stop()
`;

export function pahoPublish(port: number, messages: PahoMessage[]): void {
  const result = spawnSync(python, ['-c', script, String(port)], { input: JSON.stringify(messages), encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, `paho: ${result.stderr}`);
}
