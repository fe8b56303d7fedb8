/** The bridge section of an edge Mosquitto's config, from the central broker's URL and the bridge's settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bridgeAddress, bridgeLines } from '../src/brokers/bridge.js';

describe('an edge Mosquitto bridge', () => {
  it('forwards the topic out at its QoS, with the sessions asked for, to the address of the URL', () => {
    const lines = bridgeLines({ name: 'edge-1', centre: 'mqtt://127.0.0.1:18830', topic: 'demo/#', qos: 1, cleanSession: true, localCleanSession: false });
    assert.equal(lines[0], 'connection edge-1', 'the section starts with its name');
    assert.ok(lines.includes('address 127.0.0.1:18830'));
    assert.ok(lines.includes('topic demo/# out 1'));
    assert.ok(lines.includes('cleansession true'));
    assert.ok(lines.includes('local_cleansession false'));
    assert.ok(!lines.some((line) => line.startsWith('remote_')), 'no user name or password when the URL has none');
  });

  it("leaves local_cleansession to Mosquitto's default when not asked, and takes the user and password of the URL", () => {
    const lines = bridgeLines({ name: 'edge', centre: 'mqtt://demo:p%40ss@central.example', topic: '#', qos: 0, cleanSession: false });
    assert.ok(lines.includes('address central.example:1883'), 'port 1883 when the URL has none');
    assert.ok(lines.includes('remote_username demo'));
    assert.ok(lines.includes('remote_password p@ss'));
    assert.ok(lines.includes('topic # out 0'));
    assert.ok(!lines.some((line) => line.startsWith('local_cleansession')));
  });

  it('refuses what a bridge configured this way cannot reach, with a line a person can act on', () => {
    assert.throws(() => bridgeAddress('mqtts://central.example:8883'), /mqtt:\/\/ only \(a TLS bridge needs its certificates in mosquitto.conf\)/);
    assert.throws(() => bridgeAddress('central.example'), /is not a URL/);
  });
});
