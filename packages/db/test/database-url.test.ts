import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databaseProvider, migrationsDir, redact, sqlitePath, withDatabaseName } from '../src/database-url.ts';

test('the URL chooses the database; anything else is refused without echoing a password', () => {
  assert.equal(databaseProvider('file:/var/vireo/vireo.db'), 'sqlite');
  assert.equal(databaseProvider('postgresql://vireo:pw@db:5432/vireo'), 'postgresql');
  assert.equal(databaseProvider('postgres://vireo@db/vireo'), 'postgresql');
  assert.throws(
    () => databaseProvider('mysql://vireo:hunter2@db/vireo'),
    (err: Error) => {
      assert.match(err.message, /file: .*postgresql:\/\//);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    },
  );
  assert.equal(redact('postgresql://vireo:s3cret@db:5432/vireo'), 'postgresql://vireo:***@db:5432/vireo');
});

test('paths and database names', () => {
  assert.equal(sqlitePath('file:/tmp/x/vireo.db'), '/tmp/x/vireo.db');
  assert.match(migrationsDir('sqlite'), /prisma\/migrations$/);
  assert.match(migrationsDir('postgresql'), /prisma\/migrations-postgresql$/);
  assert.equal(
    withDatabaseName('postgresql://root@localhost:5432/postgres?host=/var/run/postgresql', 'vireo_t'),
    'postgresql://root@localhost:5432/vireo_t?host=/var/run/postgresql',
  );
  assert.equal(withDatabaseName('postgresql://u:p@db', 'x'), 'postgresql://u:p@db/x');
});
