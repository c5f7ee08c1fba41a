// What replication needs from MQTT, declared here and implemented in daemon/mqtt (a lower room
// never imports a higher one). The implementation keeps a persistent MQTT 5 session (clean
// start off, session expiry set), so QoS 1 messages published while an appliance is away wait
// for it at the broker.
export interface ReplicationMessage {
  readonly topic: string;
  readonly payload: Buffer;
}

export interface ReplicationTransport {
  readonly connected: boolean;
  /** Subscribes (QoS 1) now and after every reconnect. */
  subscribe(filter: string): void;
  /** QoS 1; resolves on the broker's PUBACK; rejects when not connected. An empty retained payload clears the topic. */
  publish(topic: string, payload: Buffer, options: { retain: boolean }): Promise<void>;
  onMessage(listener: (message: ReplicationMessage) => void): () => void;
  /** Called on every (re)connection, after the subscriptions are in place. */
  onConnected(listener: () => void): () => void;
}
