// The replication topics, apart from the door topics (`<prefix>/<applianceId>/...`) so that a
// broker ACL can keep doors away from the gallery with one pattern: `<prefix>/replication/#`.
export class ReplicationTopics {
  readonly base: string;
  constructor(prefix: string, site: string) {
    this.base = `${prefix}/replication/${site}`;
  }

  /** Retained: the newest change of one person (their state, or their tombstone until every replica confirmed). */
  person(personId: string): string {
    return `${this.base}/person/${personId}`;
  }

  /** Retained: the newest signed site policy document (zones, groups, schedules, holidays, settings). */
  get policy(): string {
    return `${this.base}/policy`;
  }

  get allPeople(): string {
    return `${this.base}/person/+`;
  }

  /** A replica's reports to the authority (QoS 1, not retained). */
  report(replicaId: string): string {
    return `${this.base}/report/${replicaId}`;
  }

  get allReports(): string {
    return `${this.base}/report/+`;
  }

  /** The last segment of a person or report topic, or null when `topic` is not one under `kind`. */
  idIn(topic: string, kind: 'person' | 'report'): string | null {
    const head = `${this.base}/${kind}/`;
    if (!topic.startsWith(head)) return null;
    const id = topic.slice(head.length);
    return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
  }
}
