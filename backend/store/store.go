// Package store owns the vault's single SQLite file: opening it with the right
// pragmas and extensions, applying the embedded schema migrations, and the
// reads and writes the rest of Hoard needs.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	sqlite_vec "github.com/asg017/sqlite-vec-go-bindings/cgo"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// registerVec loads sqlite-vec into every connection opened afterwards. It is
// process-wide by nature (sqlite3_auto_extension), so it runs once.
var registerVec = sync.OnceFunc(sqlite_vec.Auto)

// Store is an open vault database.
type Store struct {
	db       *sql.DB
	path     string
	readOnly bool
	dicts    *dictionaries // chunk text's (dict.go)
	feed     feed          // change signals for listeners (Subscribe)
	lookups  stmtCache
	tok      tokenizer // query words' full-text terms (Terms)
}

// Open opens (creating if needed) the database at file and migrates it to the
// newest schema. A database that cannot be written is opened read-only
// (OpenReadOnly).
func Open(ctx context.Context, file string) (*Store, error) {
	// SQLite opens a file it may not write read-only without a word, and
	// fails at the first write: ask the file system first.
	if f, err := os.OpenFile(file, os.O_RDWR, 0); err == nil {
		f.Close()
	} else if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return OpenReadOnly(ctx, file)
	}
	s, err := openWritable(ctx, file)
	if err != nil && cannotWrite(err) {
		// The file or its folder may not be written: searched, not changed.
		if ro, rerr := OpenReadOnly(ctx, file); rerr == nil {
			return ro, nil
		}
	}
	return s, err
}

func openWritable(ctx context.Context, file string) (*Store, error) {
	registerVec()
	// _txlock=immediate makes write transactions take the lock up front, so two
	// writers wait on busy_timeout instead of failing on upgrade. A document
	// is stored in one transaction (400,000 chunks take about 5 s), so a
	// writer waits up to a minute for another process's before it fails.
	dsn := "file:" + file + "?_foreign_keys=on&_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=60000&_txlock=immediate&_cache_size=-32000&_stmt_cache_size=64"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	s := &Store{db: db, path: file}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if s.dicts, err = newDictionaries(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.dicts.learnStored(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// The conversion migration 0013 asks for, resumed until done.
	if _, err := s.compactTexts(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// And 0015's: chunk text still stored plain is packed.
	if _, err := s.packTexts(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Reclaim gives the file's free pages back to the file system. Merging the
// full-text index's segments frees pages as ingestion goes (SciFact's
// abstracts leave 0.6 MiB free); a vault made before migration 0015 was
// made without incremental auto-vacuum, and keeps them for reuse.
func (s *Store) Reclaim(ctx context.Context) error {
	// The pragma frees a page a step: it is read to the end, not run once.
	rows, err := s.db.QueryContext(ctx, `PRAGMA incremental_vacuum`)
	if err != nil {
		return fmt.Errorf("reclaim free pages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reclaim free pages: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.feed.mu.Lock()
	if s.feed.stop != nil {
		s.feed.stop() // the poller gives its connection back
		s.feed.stop = nil
	}
	s.feed.mu.Unlock()
	s.lookups.close()
	s.tok.close()
	return s.db.Close()
}

// DB is the raw handle, for tests that inspect or damage the file. Code
// reads and writes through the store's methods and views instead
// (README.md, TestOnlyStoreWritesSQL).
func (s *Store) DB() *sql.DB { return s.db }

// Path is the database file.
func (s *Store) Path() string { return s.path }

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		body, err := migrationFS.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies every migration newer than the database's user_version, each
// in its own transaction together with the version bump.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	var current int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("vault schema version %d is newer than this hoard (%d): upgrade hoard", current, len(ms))
	}
	if current == 0 {
		// A new vault: free pages can be handed back (Reclaim). The mode is
		// set on the empty file (the WAL mode has written its header
		// already, so it takes with a VACUUM, of nothing), not in the
		// connection string: there it would be a write every new connection
		// waits for.
		for _, q := range []string{"PRAGMA auto_vacuum = INCREMENTAL", "VACUUM"} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("new vault: %w", err)
			}
		}
	}
	if current == len(ms) {
		return nil
	}
	// Foreign keys are off while migrations run, on one connection: it is
	// SQLite's way to rebuild a table others refer to (entities, 0017).
	// foreign_key_check stands in for them before each commit.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	for _, m := range ms[current:] {
		if err := applyMigration(ctx, conn, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// applyMigration runs one migration, what the store completes it with in
// Go, and the version bump in one transaction: all of it, or nothing.
func applyMigration(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if m.version == 17 {
		if err := keyEntities(ctx, tx); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	dangling := rows.Next()
	err = rows.Err()
	rows.Close()
	if err != nil {
		return err
	}
	if dangling {
		return errors.New("it leaves dangling references")
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion is the number of the last applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// Versions reports the SQLite library and sqlite-vec versions in use.
func (s *Store) Versions(ctx context.Context) (sqliteVersion, vecVersion string, err error) {
	err = s.db.QueryRowContext(ctx, "SELECT sqlite_version(), vec_version()").Scan(&sqliteVersion, &vecVersion)
	if err != nil {
		return "", "", fmt.Errorf("read versions: %w", err)
	}
	return sqliteVersion, vecVersion, nil
}

// CheckIntegrity runs SQLite's and FTS5's own consistency checks.
func (s *Store) CheckIntegrity(ctx context.Context) error {
	var res string
	if err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	if _, err := s.db.ExecContext(ctx, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)"); err != nil {
		return fmt.Errorf("full-text index check: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		return errors.New("foreign key check: dangling references")
	}
	return rows.Err()
}
