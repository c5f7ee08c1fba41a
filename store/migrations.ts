// The schema history of the maskgate database, oldest first. Append only: a shipped migration
// is never edited or renumbered, because appliances in the field have already applied it.
// Timestamps are INTEGER milliseconds since the Unix epoch (UTC): cheap to compare and index,
// and free of time-zone ambiguity.
import type { Migration } from './migration-runner.js';

const initialSchema: Migration = {
  version: 1,
  name: 'initial_schema',
  up: (db) => {
    db.exec(`
      CREATE TABLE people (
        id           TEXT    PRIMARY KEY NOT NULL,
        external_id  TEXT    UNIQUE,
        display_name TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
        active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      );

      -- aligned_crop is the last column: SQLite only follows a row's overflow pages when a
      -- column stored in them is read, so listing face metadata never loads the PNGs.
      CREATE TABLE faces (
        id            TEXT    PRIMARY KEY NOT NULL,
        person_id     TEXT    NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        crop_sha256   TEXT    NOT NULL,
        source_sha256 TEXT    NOT NULL,
        quality       TEXT    NOT NULL CHECK (json_valid(quality)),
        created_at    INTEGER NOT NULL,
        aligned_crop  BLOB    NOT NULL
      );
      CREATE INDEX faces_by_person ON faces (person_id);

      CREATE TABLE templates (
        face_id    TEXT    NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
        model_id   TEXT    NOT NULL,
        dimension  INTEGER NOT NULL CHECK (dimension > 0),
        created_at INTEGER NOT NULL,
        embedding  BLOB    NOT NULL CHECK (length(embedding) = 4 * dimension),
        PRIMARY KEY (face_id, model_id)
      );
      CREATE INDEX templates_by_model ON templates (model_id);

      -- person_id deliberately has no foreign key: the audit trail must outlive the person.
      -- After deletion it is an opaque random id that no longer resolves to a name or a face.
      CREATE TABLE decisions (
        id         TEXT    PRIMARY KEY NOT NULL,
        created_at INTEGER NOT NULL,
        decided_at INTEGER NOT NULL,
        camera_id  TEXT    NOT NULL,
        door_id    TEXT    NOT NULL,
        track_id   TEXT,
        outcome    TEXT    NOT NULL CHECK (outcome IN ('grant', 'deny', 'unknown')),
        person_id  TEXT,
        score      REAL,
        threshold  REAL    NOT NULL,
        model_id   TEXT    NOT NULL,
        masked     INTEGER CHECK (masked IN (0, 1)),
        expires_at INTEGER,
        payload    TEXT    NOT NULL CHECK (json_valid(payload))
      );
      CREATE INDEX decisions_by_time        ON decisions (decided_at);
      CREATE INDEX decisions_by_door_time   ON decisions (door_id, decided_at);
      CREATE INDEX decisions_by_camera_time ON decisions (camera_id, decided_at);
      CREATE INDEX decisions_by_person_time ON decisions (person_id, decided_at);

      CREATE TABLE api_keys (
        id           TEXT    PRIMARY KEY NOT NULL,
        name         TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role         TEXT    NOT NULL CHECK (role IN ('admin', 'read-only')),
        key_hash     TEXT    NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        revoked_at   INTEGER,
        last_used_at INTEGER
      );

      -- AUTOINCREMENT so a sequence number is never reused after rows are dropped or delivered.
      CREATE TABLE outbox (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        topic        TEXT    NOT NULL,
        payload      TEXT    NOT NULL,
        qos          INTEGER NOT NULL CHECK (qos IN (0, 1, 2)),
        retain       INTEGER NOT NULL CHECK (retain IN (0, 1)),
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        delivered_at INTEGER
      );
      CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_at IS NULL;
    `);
  },
};

// Access policy (docs/access-policy.md). Every site starts in 'open' mode, so an upgraded
// appliance keeps granting every recognised active person at every door, as before.
// Memberships, validity and PIN hashes cascade with the person: forgetting a person forgets them.
const accessPolicy: Migration = {
  version: 2,
  name: 'access_policy',
  up: (db) => {
    db.exec(`
      CREATE TABLE access_settings (
        id                  INTEGER PRIMARY KEY CHECK (id = 1),
        mode                TEXT    NOT NULL CHECK (mode IN ('open', 'enforced')),
        time_zone           TEXT    NOT NULL,
        pin_entry_seconds   INTEGER NOT NULL,
        pin_max_attempts    INTEGER NOT NULL,
        pin_lockout_seconds INTEGER NOT NULL,
        updated_at          INTEGER NOT NULL
      );
      INSERT INTO access_settings VALUES (1, 'open', 'UTC', 30, 5, 300, 0);

      CREATE TABLE access_doors (
        door_id TEXT PRIMARY KEY NOT NULL,
        factors TEXT NOT NULL CHECK (factors IN ('face', 'face+pin'))
      );

      CREATE TABLE access_zones (
        id         TEXT    PRIMARY KEY NOT NULL,
        name       TEXT    NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE access_zone_doors (
        zone_id TEXT NOT NULL REFERENCES access_zones (id) ON DELETE CASCADE,
        door_id TEXT NOT NULL,
        PRIMARY KEY (zone_id, door_id)
      );
      CREATE INDEX access_zone_doors_by_door ON access_zone_doors (door_id);

      -- windows and holiday_windows are JSON: they are always read and written whole.
      CREATE TABLE access_schedules (
        id              TEXT    PRIMARY KEY NOT NULL,
        name            TEXT    NOT NULL UNIQUE,
        windows         TEXT    NOT NULL CHECK (json_valid(windows)),
        holiday_windows TEXT    CHECK (holiday_windows IS NULL OR json_valid(holiday_windows)),
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL
      );

      CREATE TABLE access_holidays (
        date TEXT PRIMARY KEY NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        name TEXT NOT NULL
      );

      CREATE TABLE access_groups (
        id         TEXT    PRIMARY KEY NOT NULL,
        name       TEXT    NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- RESTRICT on the schedule: removing a schedule in use must be a decision, not a side effect.
      CREATE TABLE access_grants (
        group_id    TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
        zone_id     TEXT NOT NULL REFERENCES access_zones (id) ON DELETE CASCADE,
        schedule_id TEXT REFERENCES access_schedules (id) ON DELETE RESTRICT,
        PRIMARY KEY (group_id, zone_id)
      );
      CREATE INDEX access_grants_by_zone ON access_grants (zone_id);
      CREATE INDEX access_grants_by_schedule ON access_grants (schedule_id);

      CREATE TABLE access_memberships (
        person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        group_id  TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
        PRIMARY KEY (person_id, group_id)
      );
      CREATE INDEX access_memberships_by_group ON access_memberships (group_id);

      CREATE TABLE access_validity (
        person_id   TEXT    PRIMARY KEY NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        valid_from  INTEGER,
        valid_until INTEGER,
        CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from)
      );

      CREATE TABLE access_pins (
        person_id       TEXT    PRIMARY KEY NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        hash            TEXT    NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until    INTEGER,
        updated_at      INTEGER NOT NULL
      );
    `);
  },
};

// Replication between appliances (replication/, docs/campus.md). Triggers on people and faces
// record every change to a person, whichever path made it (API, CLI, another process on the
// same file), as a per-person monotonic revision: the authority publishes what is newer than
// what it last published. Deleting a person leaves a tombstone row (an opaque id and a number,
// no name, no biometric data) so replicas can be told, and confirmations can be counted.
const replication: Migration = {
  version: 3,
  name: 'replication',
  up: (db) => {
    const now = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
    const bump = (personId: string, tombstone: string) => `
        INSERT INTO replication_outgoing (person_id, revision, tombstone, changed_at)
        VALUES (${personId}, 1, ${tombstone}, ${now})
        ON CONFLICT (person_id) DO UPDATE SET revision = revision + 1, tombstone = ${tombstone === '0' ? 'tombstone' : tombstone},
                                              tombstone_cleared = 0, changed_at = ${now};`;
    db.exec(`
      CREATE TABLE replication_outgoing (
        person_id          TEXT    PRIMARY KEY NOT NULL,
        revision           INTEGER NOT NULL CHECK (revision > 0),
        tombstone          INTEGER NOT NULL DEFAULT 0 CHECK (tombstone IN (0, 1)),
        published_revision INTEGER NOT NULL DEFAULT 0,
        tombstone_cleared  INTEGER NOT NULL DEFAULT 0 CHECK (tombstone_cleared IN (0, 1)),
        changed_at         INTEGER NOT NULL
      );
      CREATE INDEX replication_outgoing_unpublished ON replication_outgoing (person_id) WHERE revision > published_revision;
      CREATE INDEX replication_outgoing_tombstones ON replication_outgoing (changed_at) WHERE tombstone = 1;

      CREATE TABLE replication_applied (
        person_id    TEXT    PRIMARY KEY NOT NULL,
        authority_id TEXT    NOT NULL,
        revision     INTEGER NOT NULL CHECK (revision > 0),
        tombstone    INTEGER NOT NULL CHECK (tombstone IN (0, 1)),
        acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1)),
        applied_at   INTEGER NOT NULL
      );
      CREATE INDEX replication_applied_unacknowledged ON replication_applied (person_id) WHERE acknowledged = 0;

      CREATE TABLE replication_replicas (
        replica_id    TEXT    PRIMARY KEY NOT NULL,
        model_id      TEXT,
        people        INTEGER,
        -- NULL until the replica first reports (a replica named in the config but never heard from).
        first_seen_at INTEGER,
        last_seen_at  INTEGER
      );

      CREATE TABLE replication_acks (
        person_id  TEXT    NOT NULL,
        replica_id TEXT    NOT NULL,
        revision   INTEGER NOT NULL,
        tombstone  INTEGER NOT NULL CHECK (tombstone IN (0, 1)),
        erased     INTEGER NOT NULL CHECK (erased IN (0, 1)),
        acked_at   INTEGER NOT NULL,
        PRIMARY KEY (person_id, replica_id)
      );

      CREATE TRIGGER replication_person_inserted AFTER INSERT ON people BEGIN ${bump('NEW.id', '0')} END;
      CREATE TRIGGER replication_person_updated AFTER UPDATE ON people BEGIN ${bump('NEW.id', '0')} END;
      CREATE TRIGGER replication_person_deleted AFTER DELETE ON people BEGIN ${bump('OLD.id', '1')} END;
      CREATE TRIGGER replication_face_inserted AFTER INSERT ON faces BEGIN ${bump('NEW.person_id', '0')} END;
      CREATE TRIGGER replication_face_deleted AFTER DELETE ON faces BEGIN ${bump('OLD.person_id', '0')} END;

      INSERT INTO replication_outgoing (person_id, revision, changed_at) SELECT id, 1, ${now} FROM people;
    `);
  },
};

// Access-policy replication (docs/campus.md, "Access policy"). The site-wide policy (settings,
// door factors, zones, schedules, holidays, groups and their grants) travels as one signed
// document with one revision, bumped by triggers on every policy table; a person's own part
// (memberships, validity, PIN hash) travels in their person snapshot, so triggers on those
// tables bump the person's revision. A cascade from deleting a group or a person does not bump
// the person: the group's removal travels in the policy document, the person's in a tombstone.
// Failed PIN attempts are local (each door counts its own), so only a new hash bumps.
// `group_ids` keeps the groups a replicated snapshot named, so memberships of a group that
// reaches the replica after the person are restored when the policy document arrives.
const policyReplication: Migration = {
  version: 4,
  name: 'policy_replication',
  up: (db) => {
    const now = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
    const bumpPolicy = `UPDATE replication_policy SET revision = revision + 1, changed_at = ${now} WHERE id = 1;`;
    const bumpPerson = (row: 'NEW' | 'OLD') => `
        INSERT INTO replication_outgoing (person_id, revision, tombstone, changed_at)
        VALUES (${row}.person_id, 1, 0, ${now})
        ON CONFLICT (person_id) DO UPDATE SET revision = revision + 1, tombstone_cleared = 0, changed_at = ${now};`;
    const personStillThere = (row: 'NEW' | 'OLD') => `EXISTS (SELECT 1 FROM people WHERE id = ${row}.person_id)`;
    const policyTables = ['access_settings', 'access_doors', 'access_zones', 'access_zone_doors', 'access_schedules', 'access_holidays', 'access_groups', 'access_grants'];
    const policyTriggers = policyTables
      .flatMap((table) =>
        (['INSERT', 'UPDATE', 'DELETE'] as const).map(
          (event) => `CREATE TRIGGER replication_policy_${table}_${event.toLowerCase()} AFTER ${event} ON ${table} BEGIN ${bumpPolicy} END;`,
        ),
      )
      .join('\n');
    db.exec(`
      CREATE TABLE replication_policy (
        id                 INTEGER PRIMARY KEY CHECK (id = 1),
        revision           INTEGER NOT NULL CHECK (revision > 0),
        published_revision INTEGER NOT NULL DEFAULT 0,
        applied_authority  TEXT,
        applied_revision   INTEGER NOT NULL DEFAULT 0,
        changed_at         INTEGER NOT NULL
      );
      INSERT INTO replication_policy (id, revision, changed_at) VALUES (1, 1, ${now});
      ALTER TABLE replication_applied ADD COLUMN group_ids TEXT CHECK (group_ids IS NULL OR json_valid(group_ids));
      ALTER TABLE replication_replicas ADD COLUMN policy_revision INTEGER;

      ${policyTriggers}

      CREATE TRIGGER replication_membership_inserted AFTER INSERT ON access_memberships BEGIN ${bumpPerson('NEW')} END;
      CREATE TRIGGER replication_membership_deleted AFTER DELETE ON access_memberships
        WHEN ${personStillThere('OLD')} AND EXISTS (SELECT 1 FROM access_groups WHERE id = OLD.group_id) BEGIN ${bumpPerson('OLD')} END;
      CREATE TRIGGER replication_validity_inserted AFTER INSERT ON access_validity BEGIN ${bumpPerson('NEW')} END;
      CREATE TRIGGER replication_validity_updated AFTER UPDATE ON access_validity BEGIN ${bumpPerson('NEW')} END;
      CREATE TRIGGER replication_validity_deleted AFTER DELETE ON access_validity WHEN ${personStillThere('OLD')} BEGIN ${bumpPerson('OLD')} END;
      CREATE TRIGGER replication_pin_inserted AFTER INSERT ON access_pins BEGIN ${bumpPerson('NEW')} END;
      CREATE TRIGGER replication_pin_rehashed AFTER UPDATE OF hash ON access_pins WHEN NEW.hash IS NOT OLD.hash BEGIN ${bumpPerson('NEW')} END;
      CREATE TRIGGER replication_pin_deleted AFTER DELETE ON access_pins WHEN ${personStillThere('OLD')} BEGIN ${bumpPerson('OLD')} END;
    `);
  },
};

export const MIGRATIONS: readonly Migration[] = [initialSchema, accessPolicy, replication, policyReplication];
